/**
 * Unmodified node-telegram-bot-api (v2) against the gateway, with the lines
 * docs/bot-api.md gives: a bot on long polling (bot.startPolling()) receives
 * a customer message and replies; a bot behind its own webhook server
 * (createWebhookServer from node-telegram-bot-api/node) sends a keyboard and
 * answers the press.
 */
import t from 'tap'
import { Bot, InlineKeyboardBuilder } from 'node-telegram-bot-api'
import { createWebhookServer } from 'node-telegram-bot-api/node'
import { botCall, botMessage, INLINE_BOT, listenOn, press, say, withGateway, localWebhooks } from './helpers.js'

t.test('node-telegram-bot-api on long polling receives a message and replies', async t => {
  const { running, alice, tokens } = await withGateway(t, { ops: {} })
  const bot = new Bot(tokens.ops!, { apiRoot: running.apiRoot })
  let heard: (text: string) => void = () => {}
  const seen = new Promise<string>(resolve => { heard = resolve })
  bot.on('message', async ctx => {
    heard(ctx.message?.text ?? '')
    await ctx.reply(`echo: ${ctx.message?.text ?? ''}`)
  })
  const errors: unknown[] = []
  bot.catch(e => { errors.push(e) })
  const me = await bot.api.getMe()
  t.equal(me.id, INLINE_BOT.id, 'getMe')
  const polling = bot.startPolling(undefined, { timeout: 1 })
  t.teardown(async () => { bot.stop(); await polling.catch(() => {}) })

  await say(alice, 'hello ntba')
  t.equal(await seen, 'hello ntba')
  const reply = await botMessage(alice, 'the reply')
  t.equal(reply.content.text.text, 'echo: hello ntba', 'the reply reached the customer')
  t.same(errors, [], 'no handler failed')
})

t.test('node-telegram-bot-api behind createWebhookServer handles a callback button', async t => {
  const { running, alice, tokens } = await withGateway(t, { backend: {} }, { extra: localWebhooks('backend') })
  const bot = new Bot(tokens.backend!, { apiRoot: running.apiRoot })
  let pressed: (data: string | undefined) => void = () => {}
  const pressSeen = new Promise<string | undefined>(resolve => { pressed = resolve })
  bot.command('start', async ctx => { await ctx.reply('Choose', { reply_markup: new InlineKeyboardBuilder().text('Go', 'go').build() }) })
  bot.on('callback_query', async ctx => {
    pressed(ctx.callbackQuery?.data)
    await ctx.answerCallbackQuery({ text: 'Going' })
  })
  const errors: unknown[] = []
  bot.catch(e => { errors.push(e) })
  const server = createWebhookServer(bot, { path: '/hook', secretToken: 'hook-secret' })
  const port = await listenOn(server)
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  t.equal(await bot.api.setWebhook({ url: `http://127.0.0.1:${port}/hook`, secret_token: 'hook-secret' }), true)

  await say(alice, '/start')
  const message = await botMessage(alice, 'the keyboard')
  t.equal(message.content.text.text, 'Choose')
  const answer = await press(alice, message)
  t.equal(await pressSeen, 'go', 'the press reached the webhook')
  t.equal(answer.text, 'Going', 'the customer sees the answer')
  const info = (await botCall(running.apiRoot, tokens.backend!, 'getWebhookInfo')).body.result
  t.same([info.url, info.pending_update_count], [`http://127.0.0.1:${port}/hook`, 0])
  t.same(errors, [], 'no handler failed')
})

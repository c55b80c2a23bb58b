/**
 * Unmodified telegraf against the gateway, with the lines docs/bot-api.md
 * gives: a bot on long polling (bot.launch()) receives a customer message
 * and replies; a bot behind telegraf's webhookCallback sends a keyboard and
 * answers the press, its answerCbQuery going back in the webhook's response
 * body (telegraf's webhookReply), which the gateway runs.
 */
import http from 'node:http'
import t from 'tap'
import { Markup, Telegraf } from 'telegraf'
import { botCall, botMessage, INLINE_BOT, listenOn, press, say, withGateway, localWebhooks } from './helpers.js'

t.test('telegraf on long polling receives a message and replies', async t => {
  const { running, alice, tokens } = await withGateway(t, { ops: {} })
  const bot = new Telegraf(tokens.ops!, { telegram: { apiRoot: running.apiRoot } })
  let heard: (text: string) => void = () => {}
  const seen = new Promise<string>(resolve => { heard = resolve })
  bot.on('text', async ctx => {
    heard(ctx.message.text)
    await ctx.reply(`echo: ${ctx.message.text}`)
  })
  const errors: unknown[] = []
  bot.catch(e => { errors.push(e) })
  let launched: () => void = () => {}
  const ready = new Promise<void>(resolve => { launched = resolve })
  const polling = bot.launch(() => { launched() })
  t.teardown(async () => { bot.stop('test over'); await polling.catch(() => {}) })
  await ready
  t.equal(bot.botInfo?.id, INLINE_BOT.id, 'getMe answered')
  t.equal(bot.botInfo?.is_bot, true)

  await say(alice, 'hello telegraf')
  t.equal(await seen, 'hello telegraf')
  const reply = await botMessage(alice, "telegraf's reply")
  t.equal(reply.content.text.text, 'echo: hello telegraf', 'the reply reached the customer')
  t.same(errors, [], 'no handler failed')
})

t.test('telegraf behind webhookCallback handles a callback button', async t => {
  const { running, alice, tokens } = await withGateway(t, { backend: {} }, { extra: localWebhooks('backend') })
  const bot = new Telegraf(tokens.backend!, { telegram: { apiRoot: running.apiRoot } })
  let pressed: (data: string) => void = () => {}
  const pressSeen = new Promise<string>(resolve => { pressed = resolve })
  bot.command('start', async ctx => { await ctx.reply('Choose', Markup.inlineKeyboard([Markup.button.callback('Go', 'go')])) })
  bot.action('go', async ctx => {
    pressed('go')
    await ctx.answerCbQuery('Going')
  })
  const errors: unknown[] = []
  bot.catch(e => { errors.push(e) })
  bot.botInfo = await bot.telegram.getMe()
  // What telegraf answered the gateway with, to see answerCallbackQuery travel in a response body.
  const answered: string[] = []
  const callback = bot.webhookCallback('/hook', { secretToken: 'hook-secret' })
  const server = http.createServer((req, res) => {
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse
    res.end = ((...args: unknown[]) => {
      if (typeof args[0] === 'string' || Buffer.isBuffer(args[0])) answered.push(String(args[0]))
      return end(...args)
    }) as typeof res.end
    void callback(req, res)
  })
  const port = await listenOn(server)
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  t.equal(await bot.telegram.setWebhook(`http://127.0.0.1:${port}/hook`, { secret_token: 'hook-secret' }), true)

  await say(alice, '/start')
  const message = await botMessage(alice, 'the keyboard')
  t.equal(message.content.text.text, 'Choose')
  const answer = await press(alice, message)
  t.equal(await pressSeen, 'go', 'the press reached the webhook')
  t.equal(answer.text, 'Going', 'the customer sees the answer')
  t.ok(answered.some(body => body.includes('"method":"answerCallbackQuery"')), 'telegraf answered in the webhook response body')
  const info = (await botCall(running.apiRoot, tokens.backend!, 'getWebhookInfo')).body.result
  t.same([info.url, info.pending_update_count], [`http://127.0.0.1:${port}/hook`, 0])
  t.same(errors, [], 'no handler failed')
})

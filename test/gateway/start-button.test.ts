/**
 * An unmodified grammY bot against the gateway: it answers /start with an
 * inline keyboard, and the customer's button press reaches it as a
 * callback_query that it answers. The customer is Alice over the TDLib
 * protocol; the bot's objects are checked against what TDLib holds.
 */
import t from 'tap'
import { Bot, InlineKeyboard } from 'grammy'
import type { Message } from '@grammyjs/types'
import { ALICE, INLINE_BOT, say, withGateway } from './helpers.js'

t.test('a grammY bot answers /start with a keyboard and handles the press', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} })

  const bot = new Bot(world.consumers[0]!.token, { client: { apiRoot: running.apiRoot } })
  let started: (m: Message) => void = () => {}
  const startSeen = new Promise<Message>(resolve => { started = resolve })
  let pressed: (data: string | undefined) => void = () => {}
  const pressSeen = new Promise<string | undefined>(resolve => { pressed = resolve })
  bot.command('start', async ctx => {
    started(ctx.message!)
    await ctx.reply('Welcome, *friend*\\!', { parse_mode: 'MarkdownV2', reply_markup: new InlineKeyboard().text('Press me', 'pressed:1') })
  })
  bot.callbackQuery(/^pressed:/, async ctx => {
    pressed(ctx.callbackQuery.data)
    await ctx.answerCallbackQuery({ text: 'Done' })
  })
  const errors: unknown[] = []
  bot.catch(e => { errors.push(e) })
  const polling = bot.start({ timeout: 1 })
  t.teardown(async () => { await bot.stop(); await polling })

  await say(alice, '/start')
  const start = await startSeen
  t.equal(start.text, '/start')
  t.same(start.entities, [{ offset: 0, length: 6, type: 'bot_command' }], 'the command entity, offsets as TDLib gives them')
  t.equal(start.chat.id, ALICE.id, 'a private chat has the user id as its id')
  t.equal(start.chat.type, 'private')
  t.equal(start.from?.id, ALICE.id)
  t.equal(start.from?.is_bot, false)
  t.equal(bot.botInfo.id, INLINE_BOT.id, 'getMe gives the bot')
  t.equal(bot.botInfo.username, INLINE_BOT.username)

  const reply = await alice.tcp.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === alice.session &&
    (m.message as any).sender_id.user_id === INLINE_BOT.id, 10_000, "the bot's reply")
  const message = reply.message as any
  t.equal(message.content.text.text, 'Welcome, friend!', 'MarkdownV2 parsed by parseTextEntities')
  t.same(message.content.text.entities.map((e: any) => [e.offset, e.length, e.type['@type']]), [[9, 6, 'textEntityTypeBold']])
  const button = message.reply_markup.rows[0][0]
  t.equal(button.text, 'Press me')
  t.equal(Buffer.from(button.type.data, 'base64').toString(), 'pressed:1')

  const answer = await alice.tcp.request({ '@type': 'getCallbackQueryAnswer', '@session': alice.session, chat_id: alice.chatId, message_id: message.id, payload: { '@type': 'callbackQueryPayloadData', data: button.type.data } })
  t.equal(await pressSeen, 'pressed:1', 'the bot got the callback data')
  t.equal(answer['@type'], 'callbackQueryAnswer')
  t.equal(answer.text, 'Done', "the customer sees the bot's answer")
  t.same(errors, [], 'no handler failed')
})

import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, loginBot, loginUser, problems, tempRoot, text, textOf } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

const PING = Buffer.from('ping').toString('base64')

function keyboard (label: string, data: string): TdObject {
  return {
    '@type': 'replyMarkupInlineKeyboard',
    rows: [[{ '@type': 'inlineKeyboardButton', text: label, type: { '@type': 'inlineKeyboardButtonTypeCallback', data } }]],
  }
}

t.test('a bot sends an inline keyboard; a button press is answered through answerCallbackQuery', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bot = await loginBot(sandbox, root.dir('kb-bot'), '900:keys-token')
  const alice = await loginUser(sandbox, root.dir('kb-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('kb-dan'), '15550000104')
  bot.skip()

  const chat = await alice.ok({ '@type': 'searchPublicChat', username: 'keys_bot' })
  await alice.ok({ '@type': 'sendMessage', chat_id: chat.id, input_message_content: text('/start') })
  const start = (await bot.next('updateNewMessage')).message as TdObject
  t.match(start, { chat_id: 101, sender_id: { user_id: 101 } })
  t.match((start.content as TdObject).text, { entities: [{ type: { '@type': 'textEntityTypeBotCommand' } }] })

  const send = { '@type': 'sendMessage', chat_id: 101, input_message_content: text('Press it'), reply_markup: keyboard('Ping', PING) }
  await bot.ok(send)
  const botCopy = (await bot.next('updateMessageSendSucceeded')).message as TdObject
  const withKeyboard = (await alice.next(u => u['@type'] === 'updateNewMessage' && textOf(u.message as TdObject) === 'Press it')).message as TdObject
  t.match(withKeyboard, { reply_markup: { '@type': 'replyMarkupInlineKeyboard', rows: [[{ text: 'Ping', type: { data: PING } }]] } })

  t.same(await alice.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: 900, message_id: withKeyboard.id, payload: { '@type': 'callbackQueryPayloadData', data: 'Zm9v' } }),
    { '@type': 'error', code: 400, message: 'BUTTON_DATA_INVALID' })
  const answer = alice.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: 900, message_id: withKeyboard.id, payload: { '@type': 'callbackQueryPayloadData', data: PING } })
  const query = await bot.next('updateNewCallbackQuery')
  t.match(query, { sender_user_id: 101, chat_id: 101, message_id: withKeyboard.id, payload: { '@type': 'callbackQueryPayloadData', data: PING } })
  t.match(query.id, /^\d+$/, 'query ids are int64 strings')
  t.same(await alice.invoke({ '@type': 'answerCallbackQuery', callback_query_id: query.id, text: 'no' }),
    { '@type': 'error', code: 400, message: 'The method is available only to bots' })
  t.same(await bot.invoke({ '@type': 'answerCallbackQuery', callback_query_id: '1', text: 'no' }),
    { '@type': 'error', code: 400, message: 'QUERY_ID_INVALID' })
  await bot.ok({ '@type': 'answerCallbackQuery', callback_query_id: query.id, text: 'pong', show_alert: true, url: '', cache_time: 0 })
  t.same(await answer, { '@type': 'callbackQueryAnswer', text: 'pong', show_alert: true, url: '' })

  await bot.ok({ '@type': 'editMessageReplyMarkup', chat_id: 101, message_id: botCopy.id, reply_markup: keyboard('Again', PING) })
  t.match(await alice.next('updateMessageEdited'), { chat_id: 900, message_id: withKeyboard.id, reply_markup: { rows: [[{ text: 'Again' }]] } })

  t.same(await bot.invoke({ '@type': 'sendMessage', chat_id: 104, input_message_content: text('hi') }),
    { '@type': 'error', code: 400, message: 'Chat not found' }, 'a bot does not know users who never wrote')
  await dan.close()
  await alice.close()
  await bot.close()
})

t.test('a bot that does not answer leaves the user with BOT_RESPONSE_TIMEOUT', async t => {
  const sandbox = createSandboxBackend({ world: SEED, botTimeoutMs: 1 })
  const bot = await loginBot(sandbox, root.dir('silent-bot'), '900:keys-token')
  const alice = await loginUser(sandbox, root.dir('silent-alice'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: 'keys_bot' })
  await alice.ok({ '@type': 'sendMessage', chat_id: 900, input_message_content: text('/start') })
  await bot.next('updateNewMessage')
  t.same(await bot.invoke({ '@type': 'sendMessage', chat_id: 104, input_message_content: text('x') }),
    { '@type': 'error', code: 400, message: 'Chat not found' })
  await bot.ok({ '@type': 'sendMessage', chat_id: 101, input_message_content: text('Press'), reply_markup: keyboard('P', PING) })
  const m = (await alice.next(u => u['@type'] === 'updateNewMessage' && textOf(u.message as TdObject) === 'Press')).message as TdObject
  const answer = await alice.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: 900, message_id: m.id, payload: { '@type': 'callbackQueryPayloadData', data: PING } })
  t.same(answer, { '@type': 'error', code: 400, message: 'BOT_RESPONSE_TIMEOUT' })
  await alice.close()
  await bot.close()
})

t.test('inline query, answered; the chosen result is sent via the bot; its button goes inline', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bot = await loginBot(sandbox, root.dir('inl-bot'), '901:finder-token')
  const alice = await loginUser(sandbox, root.dir('inl-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('inl-dan'), '15550000104')
  await alice.ok({ '@type': 'searchPublicChat', username: 'finder_bot' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  t.same(await alice.invoke({ '@type': 'getInlineQueryResults', bot_user_id: 104, chat_id: 104, query: 'x', offset: '' }),
    { '@type': 'error', code: 400, message: 'BOT_INLINE_DISABLED' })

  const results = alice.ok({ '@type': 'getInlineQueryResults', bot_user_id: 901, chat_id: 104, query: 'cats', offset: '' })
  const query = await bot.next('updateNewInlineQuery')
  t.match(query, { sender_user_id: 101, query: 'cats', offset: '', chat_type: { '@type': 'chatTypePrivate' } })
  const introduced = bot.updates.findIndex(u => u['@type'] === 'updateUser' && (u.user as TdObject).id === 101)
  t.ok(introduced >= 0 && introduced < bot.updates.indexOf(query), 'the bot learns who asks first')
  await bot.ok({
    '@type': 'answerInlineQuery',
    inline_query_id: query.id,
    is_personal: false,
    results: [{
      '@type': 'inputInlineQueryResultArticle',
      id: 'a1',
      title: 'A cat',
      description: 'meow',
      input_message_content: text('Here is a cat'),
      reply_markup: keyboard('More', PING),
    }],
    cache_time: 0,
    next_offset: '',
  })
  const answered = await results
  t.match(answered, { '@type': 'inlineQueryResults', inline_query_id: query.id, results: [{ '@type': 'inlineQueryResultArticle', id: 'a1', title: 'A cat' }] })

  const sent = await alice.ok({ '@type': 'sendInlineQueryResultMessage', chat_id: 104, query_id: answered.inline_query_id, result_id: 'a1' })
  t.match(sent, { via_bot_user_id: 901, content: { text: { text: 'Here is a cat' } } })
  const atDan = (await dan.next(u => u['@type'] === 'updateNewMessage' && (u.message as TdObject).via_bot_user_id === 901)).message as TdObject
  t.match(atDan, { chat_id: 101, reply_markup: { rows: [[{ text: 'More' }]] } })

  const pressed = dan.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: 101, message_id: atDan.id, payload: { '@type': 'callbackQueryPayloadData', data: PING } })
  const inlineQuery = await bot.next('updateNewInlineCallbackQuery')
  t.match(inlineQuery, { sender_user_id: 104, inline_message_id: /^[A-Za-z0-9_-]+$/, payload: { data: PING } })
  await bot.ok({ '@type': 'answerCallbackQuery', callback_query_id: inlineQuery.id, text: 'inline pong' })
  t.match(await pressed, { text: 'inline pong' })

  await bot.ok({ '@type': 'editInlineMessageText', inline_message_id: inlineQuery.inline_message_id, input_message_content: text('An edited cat') })
  t.match(await dan.next('updateMessageContent'), { chat_id: 101, message_id: atDan.id, new_content: { text: { text: 'An edited cat' } } })
  t.match(await alice.next('updateMessageContent'), { chat_id: 104, new_content: { text: { text: 'An edited cat' } } })
  await Promise.all([alice.close(), dan.close(), bot.close()])
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})

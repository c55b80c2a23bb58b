/**
 * Error descriptions in Telegram's form: the prefix of the status ("Bad
 * Request: ", "Forbidden: ", "Too Many Requests: retry after N", bare
 * "Unauthorized" and "Not Found", "Conflict: "), then Telegram's lower-case
 * wording of TDLib's sentence (RPC error names as they are). Unit checks of
 * the conversion, then representative errors of every method family through
 * the real listener.
 */
import t from 'tap'
import { BrokerError } from '../../src/errors.js'
import { botApiWords, fromTdError, toBotApiError } from '../../src/gateway/errors.js'
import { ALICE, botCall, listenOn, say, withGateway, wrongToken, localWebhooks } from './helpers.js'
import http from 'node:http'

/** Telegram's form: a known prefix, then nothing, or wording that does not start with a capitalised word. */
const FORM = /^(?:Unauthorized|Not Found|(?:Bad Request|Forbidden|Conflict|Too Many Requests|Request Entity Too Large|Internal Server Error): (?:[^A-Z]|[A-Z][A-Z0-9_]))/

t.test('TDLib and broker errors in the Bot API words', async t => {
  const td = (code: number, message: string): [number, string, unknown] => {
    const e = fromTdError({ '@type': 'error', code, message })
    return [e.code, e.description, e.retryAfter]
  }
  t.same(td(400, 'Chat not found'), [400, 'Bad Request: chat not found', undefined])
  t.same(td(403, 'Bot was blocked by the user'), [403, 'Forbidden: bot was blocked by the user', undefined])
  t.same(td(400, 'PEER_ID_INVALID'), [400, 'Bad Request: PEER_ID_INVALID', undefined], 'an RPC error name stays as it is')
  t.same(td(429, 'Too Many Requests: retry after 12'), [429, 'Too Many Requests: retry after 12', 12])
  t.same(td(420, 'FLOOD_WAIT_5'), [429, 'Too Many Requests: retry after 5', 5])
  t.same(td(401, 'Unauthorized'), [401, 'Unauthorized', undefined])
  t.same(td(404, 'Not Found'), [400, 'Bad Request: not found', undefined], "TDLib's 404 is the Bot API's 400")
  t.same(td(409, 'Some conflict'), [409, 'Conflict: some conflict', undefined], 'a 4xx keeps its code and takes its prefix')
  t.same(td(500, 'Request aborted'), [400, 'Bad Request: request aborted', undefined])
  t.equal(botApiWords("Can't promote self"), "can't promote self")
  t.equal(botApiWords('A user'), 'a user')

  const broker = (e: BrokerError): [number, string, unknown] => { const b = toBotApiError(e); return [b.code, b.description, b.retryAfter] }
  t.same(broker(new BrokerError('REQUEST_NOT_ALLOWED')), [403, 'Forbidden: REQUEST_NOT_ALLOWED: the request type is not allowed', undefined])
  t.same(broker(new BrokerError('RATE_LIMITED', 'over it', { retry_after: 2.5 })), [429, 'Too Many Requests: retry after 3', 3], "a scope's rate_limit is Telegram's 429")
  t.same(broker(new BrokerError('SESSION_CLOSED')), [500, 'Internal Server Error: SESSION_CLOSED: the session closed before answering', undefined])
  t.same(broker(new BrokerError('PEER_INVALID')), [400, 'Bad Request: PEER_INVALID: the value is not a user or chat id, a username or a phone number', undefined])
  t.same([toBotApiError(new Error('x')).code, toBotApiError(new Error('x')).description], [500, 'Internal Server Error'])
})

t.test('every method family answers its errors in that form', async t => {
  const { world, running, alice, tokens } = await withGateway(t, { bot: {}, reader: { allowed_requests: ['getMe'] } },
    { extra: localWebhooks('bot') })
  const bot = tokens.bot!
  await say(alice, 'hi')
  const seen: string[] = []
  const refusal = async (token: string, method: string, params: Record<string, unknown> = {}): Promise<[number, string]> => {
    const { status, body } = await botCall(running.apiRoot, token, method, params)
    t.equal(body.error_code, status, `${method}: error_code is the status`)
    seen.push(body.description)
    return [status, body.description]
  }
  const UNKNOWN = 987654321
  // HTTP and tokens.
  t.same(await refusal(wrongToken(bot), 'getMe'), [401, 'Unauthorized'])
  t.same(await refusal(bot, 'noSuchMethod'), [404, 'Not Found'])
  t.same(await refusal(tokens.reader!, 'sendMessage', { chat_id: ALICE.id, text: 'x' }), [403, 'Forbidden: sendMessage needs the TDLib request sendMessage, which the scope of client "reader-client" does not allow'])
  // Parameters (params.ts).
  t.same(await refusal(bot, 'sendMessage', { chat_id: 'x', text: 'x' }), [400, 'Bad Request: parameter "chat_id" must be an integer'])
  // Messages.
  t.same(await refusal(bot, 'sendMessage', { chat_id: UNKNOWN, text: 'x' }), [400, 'Bad Request: chat not found'])
  t.same(await refusal(bot, 'editMessageText', { chat_id: ALICE.id, message_id: 999999, text: 'x' }), [400, 'Bad Request: message not found'])
  // Chats and members.
  t.same(await refusal(bot, 'getChat', { chat_id: UNKNOWN }), [400, 'Bad Request: chat not found'])
  t.same((await refusal(bot, 'getChatAdministrators', { chat_id: ALICE.id }))[0], 400)
  t.same((await refusal(bot, 'banChatMember', { chat_id: UNKNOWN, user_id: ALICE.id }))[0], 400)
  // Bot settings.
  t.same(await refusal(bot, 'setMyCommands', { commands: [{ command: 'Start!', description: 'x' }] }), [400, 'Bad Request: commands[0].command must be 1-32 characters a-z, 0-9 and _'])
  // Media and files.
  t.same(await refusal(bot, 'sendPhoto', { chat_id: ALICE.id }), [400, 'Bad Request: parameter "photo" is required'])
  // Callback and inline answers.
  t.same((await refusal(bot, 'answerCallbackQuery', { callback_query_id: '12345' }))[0], 400)
  // Flood waits.
  running.faults.floodWait({ sessionId: world.botSession }, 7, 1, ['sendMessage'])
  const flood = await botCall(running.apiRoot, bot, 'sendMessage', { chat_id: ALICE.id, text: 'too fast' })
  t.same(flood.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } })
  // Updates and webhooks.
  const server = http.createServer((req, res) => { res.writeHead(200).end() })
  const port = await listenOn(server)
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  t.equal((await botCall(running.apiRoot, bot, 'setWebhook', { url: `http://127.0.0.1:${port}/hook` })).body.result, true)
  t.match(await refusal(bot, 'getUpdates'), [409, /^Conflict: can't use getUpdates method while webhook is active/])
  t.same(await refusal(bot, 'setWebhook', { url: 'http://example.org/hook' }), [400, "Bad Request: bad webhook: host example.org is not in webhook_hosts of this consumer in the broker's settings"])

  for (const description of seen) t.match(description, FORM, `Telegram's form: ${description}`)
})

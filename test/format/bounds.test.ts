/**
 * The format step reads only where TDLib's schema lets a listed type be, is
 * bounded per request (refused before any parse), and never runs for a
 * request the chat scope refuses: parseTextEntities is counted on a test
 * backend.
 */
import t from 'tap'
import { BrokerError } from '../../src/errors.js'
import { MAX_FORMAT_CHARS, MAX_FORMAT_TEXTS, formatFields, type TextParser } from '../../src/format/format-step.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { FakeBackend } from '../helpers/fake-backend.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const FIELDS = { inputMessageText: ['text'], inputMessageDocument: ['caption'] }

/** A parser that counts its calls and makes plain formattedText. */
function countingParser (): TextParser & { calls: number } {
  const parse = Object.assign((text: string): TdObject => { parse.calls++; return { '@type': 'formattedText', text, entities: [] } }, { calls: 0 })
  return parse
}

const album = (n: number, caption = 'x'): TdObject => ({
  '@type': 'sendMessageAlbum',
  chat_id: 1,
  input_message_contents: Array.from({ length: n }, () => ({ '@type': 'inputMessageDocument', document: { '@type': 'inputFileRemote', id: 'a' }, caption })),
})

t.test(`at most ${MAX_FORMAT_TEXTS} texts and ${MAX_FORMAT_CHARS} characters per request, refused before any parse`, async t => {
  const parse = countingParser()
  const ok = formatFields(album(MAX_FORMAT_TEXTS), FIELDS, parse)
  t.equal(parse.calls, MAX_FORMAT_TEXTS, 'exactly the bound is formatted')
  t.same((ok.input_message_contents as TdObject[])[MAX_FORMAT_TEXTS - 1]!.caption, { '@type': 'formattedText', text: 'x', entities: [] })

  parse.calls = 0
  const tooMany = (() => { try { formatFields(album(MAX_FORMAT_TEXTS + 1), FIELDS, parse); return undefined } catch (e) { return e } })()
  t.type(tooMany, BrokerError)
  t.equal((tooMany as BrokerError).errorName, 'FORMAT_LIMIT_EXCEEDED')
  t.equal((tooMany as BrokerError).code, 400)
  t.match((tooMany as BrokerError).message, `FORMAT_LIMIT_EXCEEDED: more than ${MAX_FORMAT_TEXTS} texts or ${MAX_FORMAT_CHARS} characters to format in one sendMessageAlbum`)
  t.equal(parse.calls, 0, 'nothing was parsed for a request over the bound')

  const long = { '@type': 'sendMessage', chat_id: 1, input_message_content: { '@type': 'inputMessageText', text: 'a'.repeat(MAX_FORMAT_CHARS + 1) } }
  t.throws(() => formatFields(long, FIELDS, parse), /^FORMAT_LIMIT_EXCEEDED: /, 'one text over the character bound')
  t.throws(() => formatFields(album(2, 'b'.repeat(MAX_FORMAT_CHARS / 2 + 1)), FIELDS, parse), /^FORMAT_LIMIT_EXCEEDED: /, 'two texts over it together')
  t.equal(parse.calls, 0)
  formatFields({ ...long, input_message_content: { '@type': 'inputMessageText', text: 'a'.repeat(MAX_FORMAT_CHARS) } }, FIELDS, parse)
  t.equal(parse.calls, 1, 'a text of exactly the bound is formatted')
})

t.test("only the schema's routes are read: a listed type where TDLib takes none is left alone, other fields are never touched", async t => {
  const parse = countingParser()
  const untouched: Record<string, unknown> = { '@type': 'inputMessageText', text: '*here*' }
  Object.defineProperty(untouched, 'not_read', { enumerable: true, get: () => { throw new Error('the format step read a field off its routes') } })
  const request: TdObject = {
    '@type': 'sendMessage',
    chat_id: 1,
    // TDLib has no such field: whatever is in it is not formatted (nor read).
    x_extra: untouched,
    // reply_markup cannot hold an inputMessageText: not followed.
    reply_markup: { '@type': 'replyMarkupForceReply', input_field_placeholder: untouched },
    input_message_content: { '@type': 'inputMessageText', text: '*y*' },
  }
  const out = formatFields(request, FIELDS, parse)
  t.equal(parse.calls, 1, 'only input_message_content.text')
  t.equal(out.x_extra, untouched)
  t.equal(out.reply_markup, request.reply_markup)
  t.same((out.input_message_content as TdObject).text, { '@type': 'formattedText', text: '*y*', entities: [] })

  // Nested routes: answerInlineQuery.results[].input_message_content, and a concrete field without @type.
  const inline = formatFields({
    '@type': 'answerInlineQuery', inline_query_id: '1', is_personal: false, cache_time: 0, next_offset: '',
    results: [{ '@type': 'inputInlineQueryResultArticle', id: 'a', title: 'A', input_message_content: { '@type': 'inputMessageText', text: 'deep' } }],
  }, FIELDS, parse)
  t.same(((inline.results as TdObject[])[0]!.input_message_content as TdObject).text, { '@type': 'formattedText', text: 'deep', entities: [] })
  const noType = formatFields({ '@type': 'getMarkdownText', text: { text: 'x', entities: [] } }, { formattedText: ['text'] }, parse)
  t.same(noType.text, { text: { '@type': 'formattedText', text: 'x', entities: [] }, entities: [] }, 'an object without @type in a field of one concrete type counts as that type')
})

/** A test backend whose parseTextEntities is counted. */
class CountingBackend extends FakeBackend {
  parses = 0
  override execute (request?: TdObject): TdObject {
    if (request?.['@type'] !== 'parseTextEntities') return super.execute()
    this.parses++
    return { '@type': 'formattedText', text: String(request.text), entities: [] }
  }
}

t.test('a request the chat scope refuses is never formatted', async t => {
  const [allKey, deskKey] = [await testKey(), await testKey()]
  const backend = new CountingBackend()
  const b = await startBroker({
    allowed_requests: ['sendMessage', 'sendMessageAlbum'],
    format_fields: FIELDS,
    clients: [keyClient('backend', allKey), keyClient('desk', deskKey, { chats: [10] })],
  }, { backend })
  t.teardown(b.stop)
  const all = await connectAs(b.port, 'backend', allKey)
  const desk = await connectAs(b.port, 'desk', deskKey)
  t.teardown(() => { all.close(); desk.close() })
  const session = await all.createSession()
  await desk.request({ '@type': 'broker.attachSession', session })
  const send = (chatId: number, text: string): TdObject => ({ '@type': 'sendMessage', chat_id: chatId, input_message_content: { '@type': 'inputMessageText', text }, '@session': session })

  const refused = await desk.request(send(11, '*not yours*'))
  t.equal(errorName(refused), 'CHAT_NOT_ALLOWED')
  t.equal(backend.parses, 0, 'the refused request cost no parse')
  const bigAlbum = await desk.request({ ...album(MAX_FORMAT_TEXTS + 1), chat_id: 11, '@session': session })
  t.equal(errorName(bigAlbum), 'CHAT_NOT_ALLOWED', 'the scope answers first, even for a request over the format bound')
  t.equal(backend.parses, 0)

  t.equal((await desk.request(send(10, '*yours*')))['@type'], 'ok')
  t.equal(backend.parses, 1, 'an allowed request is formatted')
  const last = backend.client(session).requests.at(-1)!
  t.same((last.input_message_content as TdObject).text, { '@type': 'formattedText', text: '*yours*', entities: [] }, 'and TDLib got the formattedText')
  const over = await all.request({ ...album(MAX_FORMAT_TEXTS + 1), '@session': session })
  t.equal(errorName(over), 'FORMAT_LIMIT_EXCEEDED', 'the bound through the broker')
  t.equal(backend.parses, 1)
})

t.test('deep nesting on a route is not followed past any TDLib depth: no stack exhaustion', async t => {
  const parse = countingParser()
  let deep: unknown = { '@type': 'inputMessageText', text: 'x' }
  for (let i = 0; i < 200_000; i++) deep = [deep]
  const request: TdObject = { '@type': 'sendMessageAlbum', chat_id: 1, input_message_contents: deep }
  t.equal(formatFields(request, FIELDS, parse), request, 'returned unchanged')
  t.equal(parse.calls, 0)
})

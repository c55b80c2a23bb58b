/**
 * format_fields with TDLib's own parser (real libtdjson, offline): nested
 * objects, Markdown v2 and HTML, parse errors, and text that is already
 * formatted. The broker test reads what TDLib would receive from a step
 * placed after formatting.
 */
import t from 'tap'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { BrokerError } from '../../src/errors.js'
import { formatFields, formatStep, textParser } from '../../src/format/format-step.js'
import type { Step } from '../../src/server/pipeline.js'
import { settingsFromObject } from '../../src/settings/load.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { createTdlBackend } from '../../src/tdlib/tdl-backend.js'
import { TestClient } from '../helpers/client.js'
import { LogSink } from '../helpers/log-sink.js'
import { scratchDir } from '../store/helpers/broker.js'

const backend = createTdlBackend({ verbosity: 0 })
const markdown = textParser(backend, true)
const html = textParser(backend, false)
const FIELDS = { inputMessageText: ['text'], inputMessageDocument: ['caption'] }

const sendMessage = (text: unknown): TdObject => ({
  '@type': 'sendMessage',
  chat_id: 5,
  input_message_content: { '@type': 'inputMessageText', text, clear_draft: false },
})

t.test('Markdown v2: a nested inputMessageText becomes formattedText with entities', async t => {
  const request = sendMessage('*bold* and _italic_ and [a link](https://example.org/x)')
  const out = formatFields(request, FIELDS, markdown) as TdObject
  const text = (out.input_message_content as TdObject).text as TdObject
  t.equal(text['@type'], 'formattedText')
  t.equal(text.text, 'bold and italic and a link')
  t.same((text.entities as TdObject[]).map(e => [e.offset, e.length, (e.type as TdObject)['@type']]), [
    [0, 4, 'textEntityTypeBold'], [9, 6, 'textEntityTypeItalic'], [20, 6, 'textEntityTypeTextUrl'],
  ])
  t.equal(((request.input_message_content as TdObject).text), '*bold* and _italic_ and [a link](https://example.org/x)', 'the original request is not changed')
  t.equal(out.chat_id, 5, 'other fields are kept')
})

t.test('HTML mode parses tags, and Markdown characters are plain text there', async t => {
  const out = formatFields(sendMessage('<b>bold</b> *not bold* &amp; <code>x</code>'), FIELDS, html) as TdObject
  const text = (out.input_message_content as TdObject).text as TdObject
  t.equal(text.text, 'bold *not bold* & x')
  t.same((text.entities as TdObject[]).map(e => (e.type as TdObject)['@type']), ['textEntityTypeBold', 'textEntityTypeCode'])
})

t.test('every object of a listed type is formatted, at any depth and in arrays', async t => {
  const request: TdObject = {
    '@type': 'sendMessageAlbum',
    chat_id: 1,
    input_message_contents: [
      { '@type': 'inputMessageDocument', document: { '@type': 'inputFileLocal', path: '/a' }, caption: '__under__' },
      { '@type': 'inputMessageDocument', document: { '@type': 'inputFileLocal', path: '/b' }, caption: 'plain' },
      { '@type': 'inputMessagePhoto', caption: '*not listed*' },
    ],
  }
  const out = formatFields(request, FIELDS, markdown) as TdObject
  const contents = out.input_message_contents as TdObject[]
  t.same(contents[0]!.caption, { '@type': 'formattedText', text: 'under', entities: [{ '@type': 'textEntity', offset: 0, length: 5, type: { '@type': 'textEntityTypeUnderline' } }] })
  t.same(contents[1]!.caption, { '@type': 'formattedText', text: 'plain', entities: [] })
  t.equal(contents[2]!.caption, '*not listed*', 'a type that is not listed is left alone')
  t.equal(contents[0]!.document, (request.input_message_contents as TdObject[])[0]!.document, 'untouched branches are shared, not copied')
})

t.test('text that is already formatted passes unchanged', async t => {
  const formatted = { '@type': 'formattedText', text: '*stars stay*', entities: [] }
  const request = sendMessage(formatted)
  t.equal(formatFields(request, FIELDS, markdown), request, 'the very same object')
})

t.test("a parse error is TEXT_PARSE_FAILED naming the field, with TDLib's message", async t => {
  let error: unknown
  try {
    formatFields(sendMessage('price: 5.00!'), FIELDS, markdown)
  } catch (e) {
    error = e
  }
  t.type(error, BrokerError)
  t.equal((error as BrokerError).code, 400)
  t.match((error as BrokerError).message, /^TEXT_PARSE_FAILED: inputMessageText\.text \(at input_message_content\.text\): Can't parse entities: Character '\.' is reserved/)
  t.throws(() => formatFields(sendMessage('<b>open'), FIELDS, html), /TEXT_PARSE_FAILED: .*Can't find end tag corresponding to start tag "b"/)
})

t.test('the step follows the settings it reads: nothing listed, nothing changed', async t => {
  let current = { format_fields: {} as Record<string, string[]>, format_markdown: true }
  const step = formatStep(() => current, backend)
  const run = async (request: TdObject): Promise<TdObject> => {
    const ctx = { request } as Parameters<Step>[0]
    await step(ctx, async () => ({ '@type': 'ok' }))
    return ctx.request
  }
  const request = sendMessage('*x*')
  t.equal(await run(request), request, 'empty format_fields: the request passes as it is')
  current = { format_fields: FIELDS, format_markdown: false }
  t.same(((await run(request)).input_message_content as TdObject).text, { '@type': 'formattedText', text: '*x*', entities: [] }, 'after a change: formatted, as HTML')
})

t.test('through the broker: the client sends plain text, TDLib receives formattedText; a parse error never reaches TDLib', async t => {
  const dir = scratchDir()
  const settings = settingsFromObject({
    host: '127.0.0.1', port: 0, tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' },
    allowed_requests: ['sendMessage', 'getMarkdownText'],
    format_fields: { inputMessageText: 'text', getMarkdownText: 'text' },
    format_markdown: true,
  }, dir)
  const seen: TdObject[] = []
  // After formatting: record what TDLib would get, and answer sendMessage here (the session is not logged in).
  const capture: Step = async (ctx, next) => {
    seen.push(ctx.request)
    return ctx.request['@type'] === 'sendMessage' ? { '@type': 'ok' } : await next()
  }
  const broker = new Broker({ settings, backend, logger: pino({ level: 'silent' }, new LogSink()) }, [capture])
  await broker.start()
  t.teardown(async () => { await broker.stop('test over') })
  const client = await TestClient.connect(broker.addresses.tcp!.port)
  t.teardown(() => { client.close() })
  const session = await client.createSession()

  const ok = await client.request({ ...sendMessage('~struck~ ||hidden||'), '@session': session })
  t.equal(ok['@type'], 'ok')
  const sent = (seen[0]!.input_message_content as TdObject).text as TdObject
  t.same([sent.text, (sent.entities as TdObject[]).map(e => (e.type as TdObject)['@type'])], ['struck hidden', ['textEntityTypeStrikethrough', 'textEntityTypeSpoiler']])

  // A request TDLib itself answers: the top-level field is formatted, then turned back into Markdown by TDLib.
  const md = await client.request({ '@type': 'getMarkdownText', text: '*bold*', '@session': session })
  t.match(md, { '@type': 'formattedText', text: '**bold**' }, 'TDLib received bold entities')

  const bad = await client.request({ ...sendMessage('1+1=2'), '@session': session })
  t.match(bad, { '@type': 'error', code: 400, '@session': session })
  t.match(bad.message, /^TEXT_PARSE_FAILED: inputMessageText\.text .*Character '\+' is reserved/)
  t.equal(seen.filter(r => r['@type'] === 'sendMessage').length, 1, 'the request that failed to parse never went further')
})

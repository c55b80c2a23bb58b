/**
 * 5. Resolution and formatting: what a request costs with the feature and
 * without it, as CPU time per request in an in-process broker on the sandbox
 * (resolving needs a logged-in account), where a difference of a microsecond
 * is visible; over sockets it would drown in the round trip's own spread.
 * - request_peers: getChat with chat_id "@bob_baker" answered from the
 *   resolve cache, and with the cache off (resolve_cache_ttl 0: every request
 *   asks searchPublicChat and getUser first), against getChat with the id;
 * - format_fields: sendMessage whose inputMessageText.text is a Markdown
 *   string, against the same message given as formattedText; and the parse
 *   alone on real TDLib's parseTextEntities, which the tdlib backend uses.
 */
import * as tdl from 'tdl'
import { formatFields, textParser } from '../../src/format/format-step.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { fromTdl } from '../../src/tdlib/rename.js'
import { createSandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { tdlibVersion } from '../lib/direct.js'
import { InProcessBroker, type Msg } from '../lib/in-process.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, type Spread } from '../lib/stats.js'
import { ALICE, BOB } from './fanout.js'

const ALLOWED = ['getChat', 'sendMessage', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode']
const MARKDOWN = 'Order *4711* is _ready_: see [the tracker](https://example.com/t/4711) and `ref-99`'
const FIELDS = { inputMessageText: ['text'] } as const

interface Row { readonly name: string, readonly broker: 'cached' | 'uncached', readonly request: (session: string) => Msg }

const ROWS: readonly Row[] = [
  { name: 'getChat by id (cache on)', broker: 'cached', request: s => ({ '@type': 'getChat', chat_id: BOB, '@session': s }) },
  { name: 'getChat "@bob_baker", cached', broker: 'cached', request: s => ({ '@type': 'getChat', chat_id: '@bob_baker', '@session': s }) },
  { name: 'getChat by id (cache off)', broker: 'uncached', request: s => ({ '@type': 'getChat', chat_id: BOB, '@session': s }) },
  { name: 'getChat "@bob_baker", uncached', broker: 'uncached', request: s => ({ '@type': 'getChat', chat_id: '@bob_baker', '@session': s }) },
  { name: 'sendMessage, formattedText given', broker: 'cached', request: s => sendMessage(s, { '@type': 'formattedText', text: MARKDOWN, entities: [] }) },
  { name: 'sendMessage, Markdown via format_fields', broker: 'cached', request: s => sendMessage(s, MARKDOWN) }
]

function sendMessage (session: string, text: unknown): Msg {
  return { '@type': 'sendMessage', chat_id: BOB, input_message_content: { '@type': 'inputMessageText', text }, '@session': session }
}

export async function runFormat (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const count = options.quick ? 2000 : 10_000
  const common = { tdlib: { backend: 'sandbox' }, allowed_requests: ALLOWED, request_peers: { getChat: 'chat_id' }, format_fields: FIELDS }
  const brokers: Partial<Record<Row['broker'], { broker: InProcessBroker, session: string }>> = {}
  try {
    for (const [kind, ttl] of [['cached', 3600], ['uncached', 0]] as const) {
      const broker = await InProcessBroker.start({ ...common, resolve_cache_ttl: ttl }, createSandboxBackend())
      brokers[kind] = { broker, session: await loginAlice(broker) }
    }
    for (const row of ROWS) {
      const b = brokers[row.broker]!
      const answer = await b.broker.request(row.request(b.session))
      if (answer['@type'] === 'error') throw new Error(`${row.name}: ${JSON.stringify(answer)}`)
      await b.broker.cpuPerRequest(row.request(b.session), count) // warm-up: compiled code, caches
    }
    const r = new Repeats()
    for (let rep = 0; rep < options.repeats; rep++) {
      for (const row of ROWS) {
        const b = brokers[row.broker]!
        r.add(row.name, await b.broker.cpuPerRequest(row.request(b.session), count))
      }
      const c = (i: number): number => r.get(ROWS[i]!.name).runs[rep]!
      r.add('cost.cached', c(1) - c(0))
      r.add('cost.uncached', c(3) - c(2))
      r.add('cost.format', c(5) - c(4))
      log(`  resolution and formatting repeat ${rep + 1}: cached resolve +${num(c(1) - c(0), 2)} µs, uncached +${num(c(3) - c(2), 2)} µs, format_fields +${num(c(5) - c(4), 2)} µs CPU per request`)
    }
    const parse = parseCost(options.quick ? 2000 : 20_000, options.repeats)
    return {
      part: 'format',
      markdown: [
        '## 5. Resolution and formatting',
        '',
        'CPU time per request in an in-process broker (bench/lib/in-process.ts: the request line handed straight to the connection, no sockets) on the ' +
        'sandbox, which answers within the same process, so the figure is the broker\'s and the emulator\'s work and a difference of a microsecond shows. ' +
        'Two brokers, both with `request_peers: {"getChat": "chat_id"}` and `format_fields: {"inputMessageText": "text"}`, each with a session logged in as ' +
        'Alice: one with the resolve cache on (`resolve_cache_ttl` 3600), one with it off (0). ' +
        `${count.toLocaleString('en-US')} requests one after another per row per repeat after as many warm-up ones, ${options.repeats} repeats. ` +
        'The cost of a feature is the figure with it minus the same request without it on the same broker, per repeat.',
        '',
        table(['request', 'CPU µs per request'], ROWS.map(row => [row.name, fmt(r.get(row.name), 2)])),
        '',
        table(['feature', 'added CPU per request, µs'], [
          ['resolve from the cache', fmt(r.get('cost.cached'), 2)],
          ['resolve without the cache (searchPublicChat and getUser through the session first)', fmt(r.get('cost.uncached'), 2)],
          ['format_fields, one Markdown field, sandbox parser', fmt(r.get('cost.format'), 2)],
          [`format_fields, the same field parsed by real TDLib (in-process, ${MARKDOWN.length} characters)`, fmt(parse.parse, 2)],
          ['format_fields configured, request without a listed field (the walk alone)', fmt(parse.walk, 2)]
        ]),
        '',
        'Latency is another matter for an uncached resolve on a real account: the two extra TDLib requests each cost a round trip through TDLib ' +
        '(part 1), and `searchPublicChat` for a username TDLib has not seen goes to Telegram. The sandbox answers both locally.'
      ].join('\n'),
      targets: [],
      charts: [],
      figures: { ...r.all(), 'parse.real': parse.parse, 'parse.walk': parse.walk }
    }
  } finally {
    for (const b of Object.values(brokers)) await b.broker.stop()
  }
}

/** Creates a session on the in-process broker and logs it in as Alice; resolves with its id once ready. */
async function loginAlice (broker: InProcessBroker): Promise<string> {
  const states: string[] = []
  let changed: () => void = () => {}
  broker.onMessage = m => {
    if (m['@type'] !== 'updateAuthorizationState') return
    states.push((m.authorization_state as Msg)['@type'] as string)
    changed()
  }
  const reach = async (state: string): Promise<void> => {
    while (!states.includes(state)) await new Promise<void>(resolve => { changed = resolve })
  }
  const session = (await broker.request({ '@type': 'broker.createSession' })).session as string
  await reach('authorizationStateWaitPhoneNumber')
  await broker.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: ALICE.phone, '@session': session })
  await reach('authorizationStateWaitCode')
  await broker.request({ '@type': 'checkAuthenticationCode', code: ALICE.code, '@session': session })
  await reach('authorizationStateReady')
  // Resolving makes the session see Bob's chat, as a client would first have to.
  await broker.request({ '@type': 'getChat', chat_id: '@bob_baker', '@session': session })
  broker.onMessage = () => {}
  return session
}

/**
 * formatFields on a sendMessage with one Markdown field, parsed by real TDLib
 * (tdl's synchronous execute, as the tdlib backend does it), against walking
 * the same request when no field matches. Microseconds per request.
 */
function parseCost (calls: number, repeats: number): { parse: Spread, walk: Spread } {
  tdlibVersion() // loads libtdjson
  const parser = textParser({ execute: (request: TdObject) => fromTdl(tdl.execute(request as unknown as Parameters<typeof tdl.execute>[0])) as TdObject }, true)
  const request = { '@type': 'sendMessage', chat_id: BOB, input_message_content: { '@type': 'inputMessageText', text: MARKDOWN } }
  const r = new Repeats()
  const time = (fields: Readonly<Record<string, readonly string[]>>): number => {
    const start = process.cpuUsage()
    for (let i = 0; i < calls; i++) formatFields(request, fields, parser)
    const used = process.cpuUsage(start)
    return (used.user + used.system) / calls
  }
  time(FIELDS)
  for (let rep = 0; rep < repeats; rep++) {
    r.add('parse', time(FIELDS))
    r.add('walk', time({ inputMessagePhoto: ['caption'] }))
  }
  return { parse: r.get('parse'), walk: r.get('walk') }
}

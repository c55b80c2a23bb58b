/**
 * Generated frames against a real broker (issue 10 point 1): deep, wide,
 * odd types, odd keys, huge numbers, invalid UTF-8, NUL bytes, lone
 * surrogates, blank lines, CRLF, writes split at random bytes, oversize
 * lines (200 frames). Each case runs on TCP and on WebSocket, on a broker without a
 * clients list and on one with a list (the connection stays
 * unauthenticated). After every case a fresh connection must get its
 * broker.ping answered, every answer must be one JSON object, every error a
 * documented broker error, and a case with a known outcome must get it.
 *
 * The frames come from a seeded PRNG: FUZZ_SEED=<n> reruns another set, and
 * a failure names the seed and the case so it can be replayed.
 */
import t from 'tap'
import { BROKER_ERRORS } from '../../src/errors.js'
import { keyClient, testKey } from '../helpers/clients.js'
import { startBroker, type TestBroker } from '../helpers/broker.js'
import { tcpPeer, wsPeer, type RawPeer } from '../helpers/raw-peer.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261001)
const CASES = 200
const MAX_FRAME = 262_144

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const random = prng(SEED)
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1))
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!
const chance = (p: number): boolean => random() < p

interface Mode { clients: boolean }
/** What the first answer must be: a broker error name, an answer @type, or 'none' (no answer at all). */
type Outcome = string | 'none'

interface Case {
  name: string
  /** The frame (without its newline on TCP). */
  bytes: Buffer
  /** The known outcome, or undefined when any documented answer is fine. */
  expect?: (mode: Mode) => Outcome
  /** The raw text the answer's @extra must have, when known. */
  extraText?: string
  /** The broker may close the connection (oversize; invalid UTF-8 in a WebSocket text message). */
  mayClose?: boolean
  /** Sent as a binary WebSocket message. */
  binary?: boolean
}

const ODD_KEYS = ['__proto__', '_', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', '@type', '@session',
  '@extra', '\\u0000', '\\ud800', '\\u0040extra', 'a'.repeat(300), '😀', '\\"', 'code', 'password', 'api_hash', 'key']
const ODD_NUMBERS = ['12345678901234567890', '-9007199254740993', '1e400', '-1e-400', '-0', '0.000000000000000000001',
  '1E+2', '123456789012345678901234567890.123456789', '4.9e-324', '1.7976931348623157e309']
const ODD_STRINGS = ['""', '"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\n\\r\\t"', '"😀"', '"\\u2028\\u2029"', '"]}"', '"\\\\"', '"\\"[{"']
const CONTROL_TYPES = ['broker.ping', 'broker.getVersion', 'broker.listSessions', 'broker.nope', 'broker.__proto__',
  'broker.constructor', 'broker.toString', 'broker.hasOwnProperty']
const TDLIB_TYPES = ['testSquareInt', 'getOption', 'constructor', '__proto__', 'addProxy', 'setTdlibParameters', 'x'.repeat(1000)]

/** A JSON value of at most `depth` levels (0: a scalar). */
function value (depth: number): string {
  if (depth <= 0 || chance(0.35)) {
    return pick([() => pick(ODD_NUMBERS), () => pick(ODD_STRINGS), () => pick(['true', 'false', 'null']), () => String(int(-1000, 1000))])()
  }
  if (chance(0.5)) {
    const n = int(0, 4)
    return '[' + Array.from({ length: n }, () => value(depth - 1)).join(pick([',', ' , ', ',\t'])) + ']'
  }
  const n = int(0, 4)
  return '{' + Array.from({ length: n }, () => `"${pick(ODD_KEYS)}":${value(depth - 1)}`).join(',') + '}'
}

/** `levels` nested containers around a scalar: arrays, objects or both. */
function nest (levels: number, shape: 'array' | 'object' | 'mixed'): string {
  let open = ''
  let close = ''
  for (let i = 0; i < levels; i++) {
    const array = shape === 'array' || (shape === 'mixed' && i % 2 === 0)
    open += array ? '[' : '{"k":'
    close = (array ? ']' : '}') + close
  }
  return open + '1' + close
}

/** What a request of this @type gets when nothing else is wrong with it. */
function outcomeOf (type: string, mode: Mode): Outcome {
  if (type === 'broker.ping') return 'broker.pong'
  if (type === 'broker.getVersion') return 'broker.version'
  if (mode.clients) return 'AUTH_REQUIRED'
  if (type === 'broker.listSessions') return 'broker.sessions'
  return type.startsWith('broker.') ? 'UNKNOWN_CONTROL_REQUEST' : 'MISSING_SESSION'
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8')

/** One generated case of each kind, chosen at random. */
const generators: Array<(i: number) => Case> = [
  // Deep: over and under the limit, arrays, objects and both, in @extra or in another field.
  i => {
    const levels = pick([1, 10, 62, 63, 64, 65, int(66, 200), int(1000, 12_000)])
    const shape = pick(['array', 'object', 'mixed'] as const)
    const inExtra = chance(0.5)
    const deep = nest(levels, shape)
    const total = levels + 1
    const frame = inExtra ? `{"@type":"broker.ping","@extra":${deep}}` : `{"@type":"broker.ping","@extra":${i},"x":${deep}}`
    return {
      name: `deep ${shape} ${levels} in ${inExtra ? '@extra' : 'a field'}`,
      bytes: text(frame),
      expect: () => total > 64 ? 'FRAME_TOO_DEEP' : 'broker.pong',
      ...(total <= 64 ? { extraText: inExtra ? deep : String(i) } : {})
    }
  },
  // Wide: many keys or elements, at the top level or in @extra.
  i => {
    const n = pick([100, 1000, int(2000, 8000)])
    const oddKeys = Array.from({ length: n }, (_, k) => `"${chance(0.1) ? pick(ODD_KEYS) : 'k' + k}":${k}`).join(',')
    const extra = chance(0.5) ? `{${oddKeys}}` : `[${Array.from({ length: n }, () => value(1)).join(',')}]`
    // Plain keys at the top level: an odd one there ("@type", "\u0040extra") would change the outcome.
    const keys = Array.from({ length: n }, (_, k) => `"k${k}":${k}`).join(',')
    return { name: `wide ${n}`, bytes: text(`{"@type":"broker.ping","@extra":${extra},${keys}}`), expect: () => 'broker.pong', extraText: extra }
  },
  // Odd values for @type.
  () => {
    const type = pick(['1', 'null', '[]', '{}', '""', 'true', '["broker.ping"]', '{"@type":"broker.ping"}', '12345678901234567890'])
    const extra = value(2)
    return { name: `@type ${type}`, bytes: text(`{"@type":${type},"@extra":${extra}}`), expect: () => 'MISSING_TYPE', extraText: extra }
  },
  // Odd keys and values around a real type, control or TDLib.
  () => {
    const type = pick([...CONTROL_TYPES, ...TDLIB_TYPES])
    const fields = Array.from({ length: int(0, 6) }, () => `"${pick(ODD_KEYS.filter(k => !k.startsWith('@') && !k.includes('\\u0040')))}":${value(3)}`)
    const extra = value(3)
    const body = [`"@type":"${type}"`, ...fields, `"@extra":${extra}`].sort(() => random() - 0.5).join(',')
    return { name: `odd keys on ${type.slice(0, 20)}`, bytes: text(`{${body}}`), expect: mode => outcomeOf(type, mode), extraText: extra }
  },
  // Huge and odd numbers and strings in @extra come back as written.
  () => {
    const extra = pick([...ODD_NUMBERS, ...ODD_STRINGS])
    return { name: `@extra ${extra}`, bytes: text(`{"@type":"broker.ping","@extra":${extra}}`), expect: () => 'broker.pong', extraText: extra }
  },
  // Invalid UTF-8 inside a string: replaced on TCP, refused with 1007 in a WebSocket text message.
  () => {
    const bad = Buffer.from(pick([[0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xfe, 0xfe, 0xff]]))
    const binary = chance(0.3)
    return {
      name: `invalid UTF-8 ${bad.toString('hex')}${binary ? ' (binary)' : ''}`,
      bytes: Buffer.concat([text('{"@type":"broker.ping","@extra":"a'), bad, text('b"}')]),
      expect: () => 'broker.pong',
      mayClose: !binary,
      binary
    }
  },
  // NUL and other control bytes, inside and outside strings.
  () => {
    const inside = chance(0.5)
    const c = String.fromCharCode(pick([0, 1, 8, 0x0b, 0x0c, 0x1f, 0x7f]))
    const frame = inside ? `{"@type":"broker.ping","@extra":"x${c}y"}` : `{"@type":"broker.ping",${c}"@extra":1}`
    return { name: `control byte ${c.charCodeAt(0)} ${inside ? 'in' : 'outside'} a string`, bytes: text(frame), expect: () => c === '\x7f' && inside ? 'broker.pong' : 'MALFORMED_JSON' }
  },
  // Not an object, or not JSON at all.
  () => {
    const frame = pick(['[1,2]', '"s"', '12345678901234567890', 'null', '{', '}', '{"@type":"broker.ping"', '{"@type":"broker.ping"}}',
      '{"@type":"broker.ping",}', "{'@type':'broker.ping'}", '\ufeff{"@type":"broker.ping"}', '{"@type":"broker.ping"} x', '[' + '{'.repeat(60)])
    return { name: `not an object: ${frame.slice(0, 30)}`, bytes: text(frame), expect: () => 'MALFORMED_JSON' }
  },
  // Blank lines carry no request: no answer.
  () => {
    const frame = pick(['', ' ', '\t', ' \t \r', '\r'])
    return { name: `blank ${JSON.stringify(frame)}`, bytes: text(frame), expect: () => 'none' }
  },
  // Random bytes, and mutations of a valid frame: any documented answer, or none.
  () => {
    if (chance(0.5)) {
      const bytes = Buffer.from(Array.from({ length: int(1, 200) }, () => int(0, 255)))
      return { name: 'random bytes', bytes, binary: chance(0.5), mayClose: true }
    }
    const base = Buffer.from(`{"@type":"${pick(CONTROL_TYPES)}","@extra":${value(3)},"x":${value(4)}}`)
    const at = int(0, base.length - 1)
    const mutated = pick([
      () => base.subarray(0, at),
      () => Buffer.concat([base.subarray(0, at), Buffer.from([int(0, 255)]), base.subarray(at)]),
      () => { const b = Buffer.from(base); b[at] = int(0, 255); return b }
    ])()
    return { name: `mutated frame at ${at}`, bytes: mutated, mayClose: true }
  },
  // Over max_frame_size: refused, the connection closes.
  () => ({
    name: 'oversize',
    bytes: text(`{"@type":"broker.ping","pad":"${'x'.repeat(MAX_FRAME + int(1, 1000))}"}`),
    expect: () => 'FRAME_TOO_LARGE',
    mayClose: true
  })
]

/** Weights: mostly the structured kinds, a few big or oversize ones (they are slow). */
const WEIGHTS = [6, 2, 2, 6, 3, 3, 2, 2, 2, 6, 0.3]

function generate (i: number): Case {
  let r = random() * WEIGHTS.reduce((a, b) => a + b, 0)
  let k = 0
  while (k < generators.length - 1 && (r -= WEIGHTS[k]!) >= 0) k++
  const c = generators[k]!(i)
  // Whatever its kind, a frame over the limit is refused for its size first.
  if (c.bytes.length > MAX_FRAME) return { name: `${c.name} (oversize)`, bytes: c.bytes, expect: () => 'FRAME_TOO_LARGE', mayClose: true }
  return c
}

const KNOWN_ERRORS = new Set(Object.keys(BROKER_ERRORS))

/** The first answer's name: its error name, or its @type. */
function outcomeOfLine (line: string): string {
  const m = JSON.parse(line) as Record<string, unknown>
  return m['@type'] === 'error' ? String(m.message).split(':')[0]! : String(m['@type'])
}

/** TCP: the frame and its newline, cut at up to five random places. */
function cut (bytes: Buffer): Buffer[] {
  const whole = Buffer.concat([bytes, text(chance(0.4) ? '\r\n' : '\n')])
  const cuts = Array.from({ length: int(0, 5) }, () => int(1, whole.length - 1)).filter(c => c > 0).sort((a, b) => a - b)
  const out: Buffer[] = []
  let from = 0
  for (const c of [...cuts, whole.length]) {
    if (c > from) out.push(whole.subarray(from, c))
    from = Math.max(from, c)
  }
  return out
}

/** Runs one case on one connection; returns what went wrong (empty when nothing did). */
async function runCase (c: Case, peer: RawPeer, mode: Mode, sentinel: string): Promise<string[]> {
  const problems: string[] = []
  if (peer.kind === 'tcp') {
    await peer.send(cut(c.bytes))
    await peer.send([`{"@type":"broker.ping","@extra":"${sentinel}"}\n`])
  } else {
    await peer.send([c.bytes], c.binary === true)
    await peer.send([`{"@type":"broker.ping","@extra":"${sentinel}"}`])
  }
  const end = await peer.waitFor((_l, m) => m['@extra'] === sentinel, { what: `the sentinel after ${c.name}` })
  const answers = peer.lines.slice(0, end === undefined ? peer.lines.length : peer.lines.indexOf(end))
  if (peer.invalid.length > 0) problems.push(`answers that are not one JSON object: ${peer.invalid.join(' | ').slice(0, 300)}`)
  if (end === undefined && c.mayClose !== true) problems.push('the connection was closed')
  for (const line of answers) {
    const name = outcomeOfLine(line)
    if (line.startsWith('{"@type":"error"') && !KNOWN_ERRORS.has(name)) problems.push(`an undocumented error: ${line.slice(0, 200)}`)
  }
  const expected = c.expect?.(mode)
  // Invalid UTF-8 in a WebSocket text message is refused by the transport (1007): there is no answer to check.
  const closedByTransport = peer.kind === 'websocket' && end === undefined && answers.length === 0
  if (expected !== undefined && !closedByTransport) {
    const got = answers.length === 0 ? 'none' : answers.map(outcomeOfLine).join(', ')
    if (got !== expected) problems.push(`expected ${expected}, got ${got}: ${answers.join(' | ').slice(0, 300)}`)
    if (c.extraText !== undefined && answers.length === 1 && !answers[0]!.endsWith(`"@extra":${c.extraText}}`)) {
      problems.push(`@extra not as written: sent ${c.extraText.slice(0, 100)}, got ${answers[0]!.slice(0, 200)}`)
    }
  }
  return problems
}

/** A fresh connection's broker.ping is answered. */
async function pingFresh (connect: () => Promise<RawPeer>): Promise<boolean> {
  const p = await connect()
  try {
    await p.send([p.kind === 'tcp' ? '{"@type":"broker.ping","@extra":"fresh"}\n' : '{"@type":"broker.ping","@extra":"fresh"}'])
    const line = await p.waitFor((_l, m) => m['@extra'] === 'fresh', { what: 'the fresh ping' })
    return line !== undefined && outcomeOfLine(line) === 'broker.pong'
  } finally { p.close() }
}

const cases = Array.from({ length: CASES }, (_, i) => generate(i))

for (const mode of [{ clients: false }, { clients: true }] satisfies Mode[]) {
  t.test(`fuzz (seed ${SEED}, ${CASES} cases × TCP and WebSocket), ${mode.clients ? 'clients list, unauthenticated' : 'no clients list'}`, async t => {
    const b: TestBroker = await startBroker({
      websocket: { host: '127.0.0.1', port: 0 },
      max_frame_size: MAX_FRAME,
      // The same frame limit before authentication, so each case means the same in both modes
      // (the smaller max_frame_size_unauthenticated has its own tests in limits.test.ts).
      ...(mode.clients ? { clients: [keyClient('svc', await testKey())], max_frame_size_unauthenticated: MAX_FRAME } : {})
    })
    t.teardown(b.stop)
    const ws = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
    const transports: Array<[string, () => Promise<RawPeer>]> = [['TCP', async () => await tcpPeer(b.port)], ['WebSocket', async () => await wsPeer(ws)]]
    for (const [kind, connect] of transports) {
      let failed = 0
      for (const [i, c] of cases.entries()) {
        const peer = await connect()
        let problems: string[]
        try {
          problems = await runCase(c, peer, mode, `sentinel-${i}`)
        } finally { peer.close() }
        if (!await pingFresh(connect)) problems.push('a fresh connection got no broker.pong: the broker stopped answering')
        if (problems.length > 0 && failed++ < 10) t.fail(`${kind} case ${i} (${c.name}), seed ${SEED}: ${problems.join('; ')}`)
      }
      t.equal(failed, 0, `${kind}: every one of ${cases.length} cases went as it should, and the broker answered a fresh ping after each`)
    }
    const internal = b.logs.records.filter(r => /unexpected error|could not send an error answer|error after a request/.test(r.msg))
    t.same(internal.map(r => r.msg), [], 'no case reached an unexpected-error path')
  })
}

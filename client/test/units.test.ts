/**
 * The client's parts that need no broker: line splitting of socket chunks,
 * reconnect delays, the emitter, and request bookkeeping (the shared timeout
 * timer, aborts, the frame it sends) over a transport the test plays.
 */
import t from 'tap'
import { Backoff } from '../src/backoff.js'
import { BrokerClient } from '../src/client.js'
import { Emitter } from '../src/emitter.js'
import { RequestAbortedError, RequestTimeoutError, TdError } from '../src/errors.js'
import type { Platform, TransportEvents } from '../src/transport.js'
import { BufferLines } from '../src/transport-node.js'
import { seeded } from './helpers.js'

t.test('BufferLines: lines across chunks, UTF-8 split inside a character, long lines, empty lines', async t => {
  const lines: string[] = []
  const split = new BufferLines(l => { lines.push(l) })
  const text = '{"a":"héllo"}\n\n{"b":"' + 'x'.repeat(200_000) + '"}\n{"c":"€ and 😀"}\n{"d":1}'
  const bytes = Buffer.from(text + '\n')
  const random = seeded(7)
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(random() * 5000)
    split.push(bytes.subarray(at, at + n))
    at += n
  }
  t.same(lines, ['{"a":"héllo"}', '{"b":"' + 'x'.repeat(200_000) + '"}', '{"c":"€ and 😀"}', '{"d":1}'], 'every line once, decoded whole; the empty line is skipped')
  const one = new BufferLines(l => { lines.push(l) })
  const euro = Buffer.from('€\n')
  one.push(euro.subarray(0, 1))
  one.push(euro.subarray(1))
  t.equal(lines.at(-1), '€', 'a character split between two chunks')
})

t.test('Backoff: exponential with jitter between half and all of the ceiling, capped, reset', async t => {
  const b = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, seeded(1))
  const delays = Array.from({ length: 8 }, () => b.next())
  const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000]
  delays.forEach((d, i) => { t.ok(d >= ceilings[i]! / 2 && d <= ceilings[i]!, `delay ${i + 1}: ${d} ms in [${ceilings[i]! / 2}, ${ceilings[i]}]`) })
  t.ok(new Set(delays.slice(4)).size > 1, 'capped delays still vary (jitter)')
  t.equal(b.attempts, 8)
  b.reset()
  const first = b.next()
  t.ok(first >= 50 && first <= 100, 'after reset it starts again from the first delay')
  const low = new Backoff({ initialDelayMs: 100 }, () => 0)
  const high = new Backoff({ initialDelayMs: 100 }, () => 0.999999)
  t.equal(low.next(), 50, 'the lowest draw is half the ceiling')
  t.equal(high.next(), 100, 'the highest is the ceiling')
})

t.test('Emitter: order, once, off during an emit, a throwing listener does not stop the others', async t => {
  const e = new Emitter<{ x: [number] }>()
  const seen: string[] = []
  const b = (n: number): void => { seen.push(`b${n}`) }
  e.on('x', n => { seen.push(`a${n}`); e.off('x', b) })
  e.on('x', b)
  e.once('x', n => { seen.push(`once${n}`) })
  e.on('x', () => { throw new Error('listener failed') })
  e.on('x', n => { seen.push(`d${n}`) })
  t.throws(() => e.emit('x', 1), /listener failed/, 'the error is thrown after every listener ran')
  t.same(seen, ['a1', 'b1', 'once1', 'd1'], 'all ran, in order; b, removed during the emit, still saw it')
  seen.length = 0
  t.throws(() => e.emit('x', 2))
  t.same(seen, ['a2', 'd2'], 'b and the once listener are gone')
  t.equal(e.listenerCount('x'), 3)
  e.removeAllListeners()
  t.equal(e.emit('x', 3), false, 'no listener left')
})

/** A transport the test plays the broker on: it sees every frame and answers when told. */
function fakeBroker (): { platform: Platform, sent: Array<Record<string, unknown>>, answer: (extra: unknown, object: Record<string, unknown>) => void, drop: () => void } {
  const sent: Array<Record<string, unknown>> = []
  let events: TransportEvents | undefined
  return {
    sent,
    platform: {
      openTransport: async (_target, e) => {
        events = e
        return { send: line => { sent.push(JSON.parse(line) as Record<string, unknown>) }, close: () => {}, bufferedBytes: 0 }
      }
    },
    answer: (extra, object) => { events?.onFrame(JSON.stringify({ ...object, '@extra': extra })) },
    drop: () => { events?.onClose('dropped by the test') }
  }
}

t.test('requests: one frame each, with the session and a numeric @extra; the shared timer times out each at its own deadline', async t => {
  const broker = fakeBroker()
  const client = await BrokerClient.connect({ url: 'tcp://fake:1', platform: broker.platform, requestTimeoutMs: 200, reconnect: false })
  t.teardown(() => { client.close() })
  const session = client.session('s1')
  const started = Date.now()
  const first = session.invoke({ '@type': 'testSquareInt', x: 2 }).catch((e: unknown) => e)
  await new Promise(resolve => setTimeout(resolve, 100))
  const second = session.invoke({ '@type': 'testSquareInt', x: 3 }).catch((e: unknown) => e)
  const answered = session.invoke({ '@type': 'testSquareInt', x: 4 })
  const refused = session.invoke({ '@type': 'getMe' }).catch((e: unknown) => e)
  t.same(broker.sent.map(f => [f['@type'], f['@session'], typeof f['@extra']]), [
    ['testSquareInt', 's1', 'number'], ['testSquareInt', 's1', 'number'], ['testSquareInt', 's1', 'number'], ['getMe', 's1', 'number']
  ], 'four frames, each in its session with a numeric @extra')
  t.same(broker.sent[0], { '@type': 'testSquareInt', x: 2, '@session': 's1', '@extra': broker.sent[0]?.['@extra'] }, 'the request as given, nothing else')
  broker.answer(broker.sent[2]?.['@extra'], { '@type': 'testInt', value: 16, '@session': 's1' })
  broker.answer(broker.sent[3]?.['@extra'], { '@type': 'error', code: 403, message: 'REQUEST_NOT_ALLOWED: getMe is not in allowed_requests', '@session': 's1' })
  t.equal((await answered).value, 16)
  t.match(await refused, { code: 403, brokerError: 'REQUEST_NOT_ALLOWED' })
  t.ok(await refused instanceof TdError)
  const e1 = await first
  const t1 = Date.now() - started
  const e2 = await second
  const t2 = Date.now() - started
  t.ok(e1 instanceof RequestTimeoutError && e2 instanceof RequestTimeoutError, 'both unanswered requests time out')
  t.ok(t1 >= 190 && t2 >= 290, `each no earlier than its own deadline (${t1} ms, ${t2} ms)`)
  t.ok(t2 - t1 >= 50, 'the second one later than the first: they do not share a deadline')
  // A late answer is dropped, not delivered anywhere.
  const updates: unknown[] = []
  session.on('update', u => { updates.push(u) })
  broker.answer(broker.sent[0]?.['@extra'], { '@type': 'testInt', value: 4, '@session': 's1' })
  t.same(updates.filter(u => (u as { '@type': string })['@type'] === 'testInt'), [{ '@type': 'testInt', value: 4, '@session': 's1', '@extra': broker.sent[0]?.['@extra'] }],
    'a late answer no longer matches a request: it reaches the session as what it is, and no promise')
})

t.test('requests: an AbortSignal, a bad request object, and a request waiting for a reconnect that times out unsent', async t => {
  const broker = fakeBroker()
  const client = await BrokerClient.connect({ url: 'tcp://fake:1', platform: broker.platform, requestTimeoutMs: 150, reconnect: { initialDelayMs: 60_000 } })
  t.teardown(() => { client.close() })
  const controller = new AbortController()
  const aborted = client.request({ '@type': 'testSquareInt', x: 1 }, { signal: controller.signal }).catch((e: unknown) => e)
  controller.abort('no longer needed')
  t.match(await aborted, { name: 'RequestAbortedError', reason: 'no longer needed' })
  t.ok(await aborted instanceof RequestAbortedError)
  const circular: Record<string, unknown> = { '@type': 'testSquareInt' }
  circular.self = circular
  t.match(await client.request(circular as never).catch((e: unknown) => e), { name: 'TypeError' }, 'an object JSON cannot write rejects, it does not throw')
  t.match(await client.request([] as never).catch((e: unknown) => e), { name: 'TypeError', message: /a request is an object/ })
  broker.drop()
  t.equal(client.state, 'reconnecting')
  const before = broker.sent.length
  const waiting = client.request({ '@type': 'testSquareInt', x: 5 }).catch((e: unknown) => e)
  t.ok(await waiting instanceof RequestTimeoutError, 'a request made while reconnecting times out under the shared timer')
  t.equal(broker.sent.length, before, 'and was never sent')
})

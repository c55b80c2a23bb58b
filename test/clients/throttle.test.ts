/**
 * The failed-authentication throttle: per address and per name, parallel
 * attempts checked one at a time, and on a real broker, a flood of wrong
 * keys for one client does not lock out another.
 */
import t from 'tap'
import { AuthThrottle, remoteAddress, type AttemptKeys, type ThrottleOptions } from '../../src/clients/throttle.js'
import { TestClient } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

/** A throttle whose clock can be moved forward (for forgetting); delays still run on real timers. */
const make = (over: Partial<ThrottleOptions> = {}) => {
  const clock = { skew: 0 }
  const throttle = new AuthThrottle({ baseDelayMs: 20, maxDelayMs: 80, maxQueueMs: 3000, forgetAfterMs: 10_000, maxAddresses: 3, now: () => Date.now() + clock.skew, ...over })
  return { clock, throttle }
}

const keys = (address: string, name?: string, known = true): AttemptKeys => ({ address, name, known })

t.test('each failure doubles the delay, up to the cap', async t => {
  const { throttle } = make()
  t.same([0, 1, 2, 3, 4, 5].map(n => throttle.delayAfter(n)), [0, 20, 40, 80, 80, 80])
})

t.test('parallel attempts from one address for one name are checked one at a time, each after its delay', async t => {
  const { throttle } = make()
  let active = 0
  let most = 0
  const ends: number[] = []
  const delayed: boolean[] = []
  const attempt = async (): Promise<void> => {
    const turn = await throttle.acquire(keys('10.0.0.1', 'x'))
    active++
    most = Math.max(most, active)
    delayed.push(turn.delayed)
    await new Promise(resolve => setImmediate(resolve)) // the key check takes a moment
    active--
    ends.push(Date.now())
    turn.fail()
  }
  await Promise.all(Array.from({ length: 5 }, attempt))
  t.equal(most, 1, 'never two checks at once')
  t.equal(throttle.failures('10.0.0.1'), 5)
  t.equal(throttle.nameFailures('x'), 5)
  t.same(delayed, [false, true, true, true, true], 'the first is checked at once, the others wait')
  for (let i = 1; i < 5; i++) {
    t.ok((ends[i] as number) - (ends[i - 1] as number) >= throttle.delayAfter(i) - 2, `attempt ${i + 1} came at least ${throttle.delayAfter(i)} ms after failure ${i}`)
  }
})

t.test('per name: failures for a name slow it down from any address', async t => {
  const { throttle } = make()
  for (const address of ['10.0.0.1', '10.0.0.2']) (await throttle.acquire(keys(address, 'admin'))).fail()
  const turn = await throttle.acquire(keys('10.0.0.3', 'admin'))
  t.ok(turn.waited >= throttle.delayAfter(2) - 2, `a fresh address waits for the name's two failures (${turn.waited} ms)`)
  turn.succeed()
  t.equal(throttle.nameFailures('admin'), 0, 'a success forgets the name')
})

t.test('a flood of wrong keys for one name does not hold up another name from another address', async t => {
  const { throttle } = make({ baseDelayMs: 50, maxDelayMs: 400 })
  const flood = Array.from({ length: 14 }, async () => { (await throttle.acquire(keys('10.0.0.9', 'x'))).fail() })
  await new Promise(resolve => setTimeout(resolve, 10))
  const turn = await throttle.acquire(keys('10.0.0.1', 'y'))
  t.equal(turn.delayed, false, 'y is checked at once')
  turn.succeed()
  t.ok(throttle.nameFailures('x') < 14, 'while x is still queued')
  await Promise.all(flood)
  t.equal(throttle.nameFailures('x'), 14)
  t.equal(throttle.nameFailures('y'), 0)
})

t.test('a shared address still serializes (why the PROXY protocol matters behind a proxy)', async t => {
  const { throttle } = make()
  ;(await throttle.acquire(keys('10.0.0.9', 'x'))).fail()
  const turn = await throttle.acquire(keys('10.0.0.9', 'y'))
  t.ok(turn.waited >= throttle.delayAfter(1) - 2, 'another name from the same address waits for that address')
  turn.release()
})

t.test('beyond maxQueueMs an attempt is refused outright', async t => {
  const { throttle } = make({ baseDelayMs: 1000, maxDelayMs: 1000, maxQueueMs: 2500 })
  ;(await throttle.acquire(keys('10.0.0.1', 'x'))).fail() // 1000 ms per attempt from here on
  const controller = new AbortController()
  const queued = [throttle.acquire(keys('10.0.0.1', 'x'), controller.signal), throttle.acquire(keys('10.0.0.1', 'x'), controller.signal)]
  await t.rejects(throttle.acquire(keys('10.0.0.1', 'x')), /too many failed authentications queued/, 'a third in the queue would wait over 2.5 s')
  controller.abort(new Error('gone'))
  for (const q of queued) await t.rejects(q, /gone/, 'aborted attempts leave the queue')
  t.equal(throttle.nameFailures('x'), 1, 'and count no failure')
})

t.test('an aborted attempt leaves the queue and the next one gets its turn', async t => {
  const { throttle } = make()
  const first = await throttle.acquire(keys('10.0.0.1', 'x'))
  const controller = new AbortController()
  const second = throttle.acquire(keys('10.0.0.1', 'x'), controller.signal)
  const third = throttle.acquire(keys('10.0.0.1', 'x'))
  controller.abort(new Error('closed'))
  await t.rejects(second, /closed/)
  first.succeed()
  const turn = await third
  t.equal(turn.delayed, true, 'the third gets its turn once the first ends: the aborted second does not hold it up')
  turn.release()
})

t.test('quiet forgets; memory is bounded, but configured names are never pushed out', async t => {
  const { clock, throttle } = make()
  ;(await throttle.acquire(keys('a', 'admin', true))).fail()
  for (const name of ['n1', 'n2', 'n3', 'n4', 'n5']) {
    throttle.succeed('b')
    ;(await throttle.acquire(keys('b', name, false))).fail()
  }
  t.equal(throttle.nameFailures('n1', false), 0, 'the made-up name touched longest ago was dropped')
  t.equal(throttle.nameFailures('n5', false), 1)
  t.equal(throttle.nameFailures('admin'), 1, 'the configured client keeps its count')
  for (const address of ['c', 'd', 'e', 'f']) (await throttle.acquire(keys(address))).fail()
  t.equal(throttle.size, 3, 'addresses are bounded too')
  clock.skew += 10_001
  t.equal(throttle.nameFailures('admin'), 0, 'quiet forgets')
  t.equal(throttle.failures('f'), 0)
})

t.test('remote addresses lose their port', async t => {
  t.equal(remoteAddress('127.0.0.1:5000'), '127.0.0.1')
  t.equal(remoteAddress('::1:5000'), '::1')
  t.equal(remoteAddress('::ffff:10.0.0.1:443'), '10.0.0.1')
  t.equal(remoteAddress('?:?'), '?')
})

t.test('on a real broker: 14 wrong keys for one client in parallel queue up, and another client logs in at once', async t => {
  const [victim, admin] = await Promise.all([testKey(), testKey()])
  const b = await startBroker({ clients: [keyClient('victim', victim), keyClient('admin', admin)] }, { authThrottle: { baseDelayMs: 20, maxDelayMs: 100 } })
  t.teardown(b.stop)
  const attackers = await Promise.all(Array.from({ length: 14 }, async () => await TestClient.connect(b.port)))
  const answers = attackers.map(async c => await c.request({ '@type': 'broker.authenticate', name: 'victim', key: 'tdbk_wrong' }, 30_000))
  // The first failure is in: the rest now queue behind it.
  await waitUntil(() => b.logs.records.some(r => r.audit === 'auth.failed'))
  const good = await TestClient.connect(b.port, '127.0.0.1', '127.0.0.2')
  const answer = await good.request({ '@type': 'broker.authenticate', name: 'admin', key: admin.key }, 30_000)
  t.equal(answer['@type'], 'broker.authenticated', 'admin, from another address, gets in')
  t.notOk(b.logs.records.some(r => r.msg === 'authentication delayed after earlier failures' && r.address === '127.0.0.2'), 'without any delay')
  const failedBefore = b.logs.records.filter(r => r.audit === 'auth.failed').length
  t.ok(failedBefore < 14, `while the flood is still queued (${failedBefore} of 14 checked)`)
  for (const a of await Promise.all(answers)) t.equal(errorName(a), 'AUTH_FAILED')
  const failures = b.logs.records.filter(r => r.audit === 'auth.failed').map(r => r.failures)
  t.same(failures, Array.from({ length: 14 }, (_, i) => i + 1), 'checked one at a time: each saw the failures before it')
  t.equal(b.logs.records.filter(r => r.msg === 'authentication delayed after earlier failures' && r.address === '127.0.0.1').length, 13, 'every attempt after the first was delayed')
  good.close()
  // The flood's own name is still slowed down, from any address.
  const other = await TestClient.connect(b.port, '127.0.0.1', '127.0.0.3')
  t.equal((await other.request({ '@type': 'broker.authenticate', name: 'victim', key: victim.key }, 30_000))['@type'], 'broker.authenticated')
  t.ok(b.logs.records.some(r => r.msg === 'authentication delayed after earlier failures' && r.address === '127.0.0.3'), 'the right key for the flooded name waits its delay, then gets in')
  other.close()
  const again = await connectAs(b.port, 'victim', victim)
  again.close()
})

async function waitUntil (condition: () => boolean): Promise<void> {
  const until = Date.now() + 10_000
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not reached within 10 s')
    await new Promise(resolve => { setTimeout(resolve, 5) })
  }
}

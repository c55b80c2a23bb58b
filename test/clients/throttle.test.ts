/** The failed-authentication throttle with a clock of the test's making. */
import t from 'tap'
import { AuthThrottle, remoteAddress } from '../../src/clients/throttle.js'

const make = (over: Partial<ConstructorParameters<typeof AuthThrottle>[0]> = {}) => {
  const clock = { now: 0 }
  const throttle = new AuthThrottle({ baseDelayMs: 100, maxDelayMs: 1000, maxQueueMs: 3000, forgetAfterMs: 10_000, maxAddresses: 3, now: () => clock.now, ...over })
  return { clock, throttle }
}

t.test('no failures, no wait; each failure doubles the wait, up to the cap', async t => {
  const { clock, throttle } = make()
  t.equal(throttle.admit('a'), 0)
  const waits: Array<number | undefined> = []
  for (let i = 0; i < 6; i++) {
    throttle.fail('a')
    clock.now += 10_000 - 1 // long after the wait, but not long enough to be forgotten
    waits.push(throttle.delayAfter(throttle.failures('a')))
  }
  t.same(waits, [100, 200, 400, 800, 1000, 1000])
  t.equal(throttle.admit('b'), 0, 'other addresses are not affected')
})

t.test('an attempt right after a failure waits; concurrent attempts queue behind each other', async t => {
  const { clock, throttle } = make()
  throttle.fail('a')
  throttle.fail('a') // two failures: 200 ms per attempt
  t.equal(throttle.admit('a'), 200)
  t.equal(throttle.admit('a'), 400, 'the second waits for the first')
  t.equal(throttle.admit('a'), 600)
  clock.now += 600
  t.equal(throttle.admit('a'), 200, 'the queue drains with time')
})

t.test('beyond maxQueueMs an attempt is refused outright', async t => {
  const { throttle } = make()
  for (let i = 0; i < 5; i++) throttle.fail('a') // 1000 ms per attempt
  const waits = Array.from({ length: 6 }, () => throttle.admit('a'))
  t.same(waits, [1000, 2000, 3000, undefined, undefined, undefined])
})

t.test('a success forgets the address; so does quiet', async t => {
  const { clock, throttle } = make()
  throttle.fail('a')
  throttle.succeed('a')
  t.equal(throttle.failures('a'), 0)
  throttle.fail('b')
  clock.now += 10_001
  t.equal(throttle.failures('b'), 0)
  t.equal(throttle.admit('b'), 0)
})

t.test('memory is bounded: the address touched longest ago goes first', async t => {
  const { throttle } = make()
  for (const address of ['a', 'b', 'c', 'd']) throttle.fail(address)
  t.equal(throttle.size, 3)
  t.equal(throttle.failures('a'), 0, 'the oldest was dropped')
  throttle.fail('b')
  throttle.fail('e')
  t.equal(throttle.failures('b'), 2, 'touched again, so kept')
  t.equal(throttle.failures('c'), 0)
})

t.test('remote addresses lose their port', async t => {
  t.equal(remoteAddress('127.0.0.1:5000'), '127.0.0.1')
  t.equal(remoteAddress('::1:5000'), '::1')
  t.equal(remoteAddress('::ffff:10.0.0.1:443'), '10.0.0.1')
  t.equal(remoteAddress('?:?'), '?')
})

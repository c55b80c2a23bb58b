/**
 * Per-client rate limits (scope.rate_limit): a client over its limit gets
 * RATE_LIMITED with the right retry_after at once, the request never
 * reaches TDLib, and it is counted and audited; another client on the same
 * session is not limited. Time is an injected clock: nothing waits.
 */
import t from 'tap'
import { startBroker } from '../helpers/broker.js'
import { connectAs, errorName, keyClient, testKey } from '../helpers/clients.js'
import type { Msg } from '../helpers/client.js'
import { RateLimiter } from '../../src/limits/rate-limiter.js'
import { metric, tdlibCounter } from './helpers.js'

t.test('a client over its limit is refused with retry_after while another on the same session is not', async t => {
  let now = 1_000_000
  const limitedKey = await testKey()
  const freeKey = await testKey()
  const counter = tdlibCounter()
  const b = await startBroker({
    admin: { port: 0 },
    clients: [
      keyClient('limited', limitedKey, { rate_limit: { requests_per_second: 0.5, burst: 2, per_type: { testCallString: { requests_per_second: 1, burst: 1 } } } }),
      keyClient('free', freeKey)
    ]
  }, { clock: () => now, steps: [counter.step] })
  t.teardown(b.stop)
  const limited = await connectAs(b.port, 'limited', limitedKey)
  const free = await connectAs(b.port, 'free', freeKey)
  t.teardown(() => { limited.close(); free.close() })
  const session = await limited.createSession()
  t.equal((await free.request({ '@type': 'broker.attachSession', session }))['@type'], 'broker.attached')
  const square = async (c: typeof limited, x: number): Promise<Msg> => await c.request({ '@type': 'testSquareInt', x, '@session': session })

  t.equal((await square(limited, 2)).value, 4, 'within the burst')
  t.equal((await square(limited, 3)).value, 9, 'within the burst')
  const refused = await square(limited, 4)
  t.equal(errorName(refused), 'RATE_LIMITED', 'the third at once is over the burst of 2')
  t.equal(refused.code, 429)
  t.equal(refused.retry_after, 2, 'at 0.5 per second the next token is 2 s away')
  t.match(refused.message, /client limited is over its rate_limit \(0\.5 requests per second, burst 2\); retry after 2 s/)
  t.equal(refused['@session'], session)
  for (let i = 0; i < 5; i++) t.equal((await square(free, i)).value, i * i, `the other client on the same session is not limited (${i})`)
  t.equal(counter.seen.get('testSquareInt'), 2 + 5, 'the refused request never reached TDLib')

  now += 1000
  t.equal((await square(limited, 5)).retry_after, 1, 'a second later: 1 s to go')
  now += 1000
  t.equal((await square(limited, 5)).value, 25, 'two seconds later: a token again')

  // Per type: testCallString has its own bucket of 1, besides the overall one.
  now += 10_000
  t.equal((await limited.request({ '@type': 'testCallString', x: 'a', '@session': session }))['@type'], 'testString')
  const typeRefused = await limited.request({ '@type': 'testCallString', x: 'b', '@session': session })
  t.equal(errorName(typeRefused), 'RATE_LIMITED', 'over its own limit for testCallString')
  t.equal(typeRefused.retry_after, 1)
  t.match(typeRefused.message, /over its rate_limit for testCallString \(1 requests per second, burst 1\)/)
  t.equal((await square(limited, 6)).value, 36, 'other types still pass: the refused one took no overall token')
  t.equal(counter.seen.get('testCallString'), 1)

  t.equal(await metric(b.broker, 'tdbroker_requests_total', { type: 'testSquareInt', outcome: 'rate_limited' }), 2, 'counted by type')
  t.equal(await metric(b.broker, 'tdbroker_requests_total', { type: 'testCallString', outcome: 'rate_limited' }), 1)
  t.equal(await metric(b.broker, 'tdbroker_rate_limited_total', { client: 'limited' }), 3, 'and by client')
  t.equal(await metric(b.broker, 'tdbroker_rate_limited_total', { client: 'free' }), 0)
  const audited = b.logs.records.filter(r => r.audit === 'request.refused' && r.reason === 'RATE_LIMITED')
  t.ok(audited.length >= 1, 'audited')
  t.match(audited[0], { client: 'limited', type: 'testSquareInt', session, msg: 'request refused: over the client rate_limit' })
})

t.test('the limiter: burst defaults to a second\'s worth, a refusal takes no token, new limits start fresh buckets', async t => {
  let now = 0
  const limiter = new RateLimiter(() => now)
  const limits = { requests_per_second: 3 }
  for (let i = 0; i < 3; i++) t.equal(limiter.check('a', limits, 'x'), undefined, `request ${i} within the default burst of 3`)
  t.match(limiter.check('a', limits, 'x'), { limit: 'overall', retryAfter: 1, burst: 3 })
  t.equal(limiter.check('b', limits, 'x'), undefined, 'another client has its own bucket')
  now += 334
  t.equal(limiter.check('a', limits, 'x'), undefined, 'a third of a second later, one token')
  t.not(limiter.check('a', limits, 'x'), undefined)
  t.equal(limiter.check('a', { requests_per_second: 3, burst: 5 }, 'x'), undefined, 'a reload with other limits starts full')
  t.equal(limiter.check('a', undefined, 'x'), undefined, 'no limits: no refusal')
  const slow = { per_type: { y: { requests_per_second: 0.01, burst: 1 } } }
  t.equal(limiter.check('c', slow, 'y'), undefined)
  t.match(limiter.check('c', slow, 'y'), { limit: 'y', retryAfter: 100 })
  t.equal(limiter.check('c', slow, 'z'), undefined, 'types without a limit of their own pass')
  now -= 10_000
  t.match(limiter.check('c', slow, 'y'), { retryAfter: 100 }, 'a clock stepping back refills nothing')
})

t.test('rate_limit settings: bad values are refused with what was wrong', async t => {
  const { settingsFromObject } = await import('../../src/settings/load.js')
  const key = await testKey()
  const withLimit = (rate_limit: unknown): unknown => ({ tdlib: { path: 's' }, clients: [keyClient('a', key, { rate_limit })] })
  t.doesNotThrow(() => settingsFromObject(withLimit({ requests_per_second: 2, burst: 4, per_type: { sendMessage: { requests_per_second: 0.2 } } }) as Record<string, unknown>, '/x'))
  t.throws(() => settingsFromObject(withLimit({ requests_per_second: 0 }) as Record<string, unknown>, '/x'), /requests_per_second/)
  t.throws(() => settingsFromObject(withLimit({ burst: 3 }) as Record<string, unknown>, '/x'), /must have property requests_per_second when property burst is present/)
  t.throws(() => settingsFromObject(withLimit({ requests_per_second: 1, per_type: { x: { burst: 2 } } }) as Record<string, unknown>, '/x'), /requests_per_second/)
  t.throws(() => settingsFromObject(withLimit({ requests_per_second: 1, rps: 2 }) as Record<string, unknown>, '/x'), /rps/)
})

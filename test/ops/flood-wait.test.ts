/**
 * FLOOD_WAIT made visible: a sandbox FLOOD_WAIT answer gets retry_after, is
 * shown in broker.getStatus and the metrics until it ends, and with
 * flood_wait_guard further requests of that type on that session are held
 * (never sent to TDLib) with the time left. The clock is injected.
 */
import t from 'tap'
import { startBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { errorName } from '../helpers/clients.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { metric, tdlibCounter } from './helpers.js'
import { retryAfterOf } from '../../src/limits/flood-waits.js'
import { loginSeeded } from '../helpers/sandbox-login.js'

const ALLOWED = ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'searchPublicChat', 'getMe']


async function loginAlice (c: TestClient, sandbox: SandboxBackend): Promise<string> {
  const session = await c.createSession()
  await loginSeeded(c, session, sandbox.world, '15550001001')
  return session
}

for (const guard of [true, false]) {
  t.test(`a sandbox FLOOD_WAIT in status and metrics, flood_wait_guard ${String(guard)}`, async t => {
    let now = Date.parse('2026-12-01T12:00:00Z')
    const counter = tdlibCounter()
    const b = await startBroker({ admin: { port: 0 }, allowed_requests: ALLOWED, flood_wait_guard: guard, tdlib: { backend: 'sandbox' } }, { clock: () => now, steps: [counter.step] })
    t.teardown(b.stop)
    const sandbox = b.backend as SandboxBackend
    const c = await TestClient.connect(b.port)
    t.teardown(() => { c.close() })
    const session = await loginAlice(c, sandbox)
    const search = async (): Promise<Msg> => await c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': session })

    sandbox.faults.floodWait({ sessionId: session }, 30, 1, ['searchPublicChat'])
    const flood = await search()
    t.match(flood, { '@type': 'error', code: 429, message: 'Too Many Requests: retry after 30', retry_after: 30 }, 'TDLib\'s 429 with retry_after as a field')

    const status = await c.request({ '@type': 'broker.getStatus' })
    t.same(status.flood_waits, [{ session, type: 'searchPublicChat', until: '2026-12-01T12:00:30.000Z', seconds_left: 30 }], 'status names the session, type and end')
    t.equal(await metric(b.broker, 'tdbroker_flood_wait_sessions', { type: 'searchPublicChat' }), 1, 'metrics: one session waiting on that type')
    t.equal(await metric(b.broker, 'tdbroker_flood_wait_remaining_seconds', { type: 'searchPublicChat' }), 30)
    t.equal(await metric(b.broker, 'tdbroker_requests_total', { type: 'searchPublicChat', outcome: 'flood_wait' }), 1)
    t.equal((await c.request({ '@type': 'getMe', '@session': session }))['@type'], 'user', 'other types are not held')

    now += 10_000
    const second = await search()
    if (guard) {
      t.equal(errorName(second), 'FLOOD_WAIT_GUARDED', 'the guard answers')
      t.match(second, { code: 429, retry_after: 20, message: /^FLOOD_WAIT_GUARDED: Too Many Requests: retry after 20 / }, 'with the time left')
      t.equal(counter.seen.get('searchPublicChat'), 1, 'without sending it to TDLib')
      t.equal(await metric(b.broker, 'tdbroker_requests_total', { type: 'searchPublicChat', outcome: 'flood_wait' }), 2, 'counted as a flood wait')
      t.ok(b.logs.records.some(r => r.audit === 'request.refused' && r.reason === 'FLOOD_WAIT_GUARDED'), 'audited')
    } else {
      t.equal(second['@type'], 'chat', 'without the guard the request is sent (the sandbox fault was for one request)')
      t.equal(counter.seen.get('searchPublicChat'), 2)
    }
    t.equal((await c.request({ '@type': 'broker.getStatus' }) as { flood_waits: Msg[] }).flood_waits[0]?.seconds_left, 20, 'status counts down')

    now += 21_000
    t.equal((await search())['@type'], 'chat', 'once the wait is over the request goes through')
    t.same((await c.request({ '@type': 'broker.getStatus' })).flood_waits, [], 'and the wait is gone from status')
    t.equal(await metric(b.broker, 'tdbroker_flood_wait_sessions', { type: 'searchPublicChat' }), 0, 'and from the metrics')
  })
}

t.test('retry_after is read from both of Telegram\'s spellings', async t => {
  t.equal(retryAfterOf('Too Many Requests: retry after 17'), 17)
  t.equal(retryAfterOf('FLOOD_WAIT_42'), 42)
  t.equal(retryAfterOf('Too Many Requests'), undefined)
})

/**
 * Hostile values in the other control requests (authenticate, createSession,
 * attachSession, detachSession) and in TDLib requests' broker fields
 * (@session, @type), before and after authentication: every one is
 * answered with a documented error or a harmless success, and the broker
 * answers a fresh broker.ping after each.
 */
import t from 'tap'
import { BROKER_ERRORS } from '../../src/errors.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const ODD: unknown[] = [null, -1, 1e308, 2 ** 64, '', '../../x', 'a\u0000b', '\ud800', 'x'.repeat(60_000), [], [1], {}, { '@type': 'x' }, true, '18446744073709551616', '0', '-0', ' 1']

t.test('odd values in control requests never end the broker', async t => {
  const key = await testKey()
  const b = await startBroker({ clients: [keyClient('svc', key)] }, { authThrottle: { baseDelayMs: 1, maxDelayMs: 2 } })
  t.teardown(b.stop)
  const authed = await connectAs(b.port, 'svc', key)
  t.teardown(() => { authed.close() })
  const session = await authed.createSession()
  const check = async (c: TestClient, request: Msg, label: string): Promise<void> => {
    const r = await c.request(request, 15_000)
    const name = errorName(r)
    if (r['@type'] === 'error') t.ok(name !== undefined && Object.hasOwn(BROKER_ERRORS, name) && r.code !== 500, `${label} → ${String(r.message).slice(0, 140)}`)
    else t.ok(String(r['@type']).startsWith('broker.') || r['@type'] === 'ok', `${label} → ${String(r['@type'])}`)
    const probe = await TestClient.connect(b.port)
    t.equal((await probe.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', `${label}: the broker still answers`)
    probe.close()
  }
  for (const value of ODD) {
    const shown = JSON.stringify(value)?.slice(0, 30)
    const fresh = await TestClient.connect(b.port)
    await check(fresh, { '@type': 'broker.authenticate', name: value, key: key.key }, `authenticate name ${shown}`)
    fresh.close()
    const fresh2 = await TestClient.connect(b.port)
    await check(fresh2, { '@type': 'broker.authenticate', name: 'svc', key: value }, `authenticate key ${shown}`)
    fresh2.close()
    await check(authed, { '@type': 'broker.createSession', attach: value }, `createSession attach ${shown}`)
    await check(authed, { '@type': 'broker.attachSession', session: value }, `attachSession session ${shown}`)
    await check(authed, { '@type': 'broker.attachSession', session, last_seq: value }, `attachSession last_seq ${shown}`)
    await check(authed, { '@type': 'broker.detachSession', session: value }, `detachSession session ${shown}`)
    await check(authed, { '@type': 'testSquareInt', x: 2, '@session': value }, `@session ${shown}`)
  }
  t.equal((await authed.request({ '@type': 'testSquareInt', x: 3, '@session': session }))['@type'], 'testInt', 'the authenticated connection still works')
})

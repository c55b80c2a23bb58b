/**
 * /metrics on the admin listener: a strict parse of the scrape, Node's
 * default metrics and the broker's own, and counters moving as requests are
 * answered and refused, clients fail to authenticate and disconnect.
 */
import t from 'tap'
import { startBroker } from '../helpers/broker.js'
import { connectAs, errorName, keyClient, testKey } from '../helpers/clients.js'
import { TestClient } from '../helpers/client.js'
import { adminGet, metric, scrape, until } from './helpers.js'
import { sampleValue } from './prom-text.js'

const TOKEN = 'a-token-of-some-length-0123456789'

t.test('a scrape parses and its counters follow what happens', async t => {
  const alphaKey = await testKey()
  const betaKey = await testKey()
  const b = await startBroker({
    admin: { host: '127.0.0.1', port: 0, token: TOKEN },
    clients: [keyClient('alpha', alphaKey), keyClient('beta', betaKey, { sessions: [] })]
  })
  t.teardown(b.stop)

  const denied = await adminGet(b.broker, '/metrics')
  t.equal(denied.status, 401, 'no token: 401')
  t.equal((await adminGet(b.broker, '/metrics', 'wrong-token-wrong-token')).status, 401, 'wrong token: 401')
  const ok = await adminGet(b.broker, '/metrics', TOKEN)
  t.equal(ok.status, 200)
  t.match(ok.type, /^text\/plain; version=0\.0\.4/, 'Prometheus text format')

  const alpha = await connectAs(b.port, 'alpha', alphaKey)
  const beta = await connectAs(b.port, 'beta', betaKey)
  t.teardown(() => { alpha.close(); beta.close() })
  const session = await alpha.createSession()
  t.equal((await alpha.request({ '@type': 'testSquareInt', x: 3, '@session': session }))['@type'], 'testInt')
  t.equal((await alpha.request({ '@type': 'testSquareInt', x: 4, '@session': session }))['@type'], 'testInt')
  t.equal(errorName(await alpha.request({ '@type': 'getMe', '@session': session })), 'REQUEST_NOT_ALLOWED')
  t.equal(errorName(await alpha.request({ '@type': 'setTdlibParameters', '@session': session })), 'REQUEST_RESERVED')
  t.equal(errorName(await beta.request({ '@type': 'testSquareInt', x: 2, '@session': session })), 'SESSION_NOT_ALLOWED')
  const tdError = await alpha.request({ '@type': 'testReturnError', error: { '@type': 'error', code: 400, message: 'BAD' }, '@session': session })
  t.equal(tdError['@type'], 'error')

  // A failed authentication: counted, and its disconnect too.
  const intruder = await TestClient.connect(b.port)
  const refused = await intruder.request({ '@type': 'broker.authenticate', name: 'alpha', key: 'not-the-key-not-the-key-not-the-key' })
  t.equal(errorName(refused), 'AUTH_FAILED')

  const families = await scrape(b.broker, TOKEN)
  const v = (name: string, labels: Record<string, string> = {}): number | undefined => sampleValue(families, name, labels)
  t.ok(families.has('process_cpu_user_seconds_total'), 'Node default metrics: process CPU')
  t.ok(families.has('nodejs_eventloop_lag_seconds'), 'Node default metrics: event loop lag')
  t.equal(families.get('tdbroker_requests_total')?.type, 'counter')
  t.equal(families.get('tdbroker_request_duration_seconds')?.type, 'histogram')
  t.equal(v('tdbroker_requests_total', { type: 'testSquareInt', outcome: 'answered' }), 2, 'answered, by whitelisted type')
  t.equal(v('tdbroker_requests_total', { type: 'other', outcome: 'refused_whitelist' }), 2, 'a type outside the whitelist is "other"; reserved ones too')
  t.equal(v('tdbroker_requests_total', { type: 'testSquareInt', outcome: 'refused_scope' }), 1, 'refused by the scope before the pipeline')
  t.equal(v('tdbroker_requests_total', { type: 'testReturnError', outcome: 'tdlib_error' }), 1, 'TDLib error')
  t.equal(v('tdbroker_request_duration_seconds_count', { type: 'testSquareInt' }), 2, 'latency observed per request that ran')
  t.equal(v('tdbroker_request_duration_seconds_bucket', { type: 'testSquareInt', le: '+Inf' }), 2)
  t.equal(v('tdbroker_auth_failures_total', { reason: 'AUTH_FAILED' }), 1, 'failed authentication')
  t.equal(v('tdbroker_sessions', { state: 'running' }), 1, 'sessions by state')
  t.equal(v('tdbroker_sessions', { state: 'stopped' }), 0)
  t.equal(v('tdbroker_client_connections', { client: 'alpha' }), 1, 'connections by client')
  t.equal(v('tdbroker_client_connections', { client: 'beta' }), 1)
  t.ok((v('tdbroker_updates_total', { result: 'delivered' }) ?? 0) >= 1, 'the session\'s state updates were delivered')
  t.ok(v('tdbroker_client_queue_bytes') !== undefined, 'bytes queued for clients')
  t.notOk(families.has('tdbroker_mysql_up') || families.has('tdbroker_certificate_expiry_seconds'), 'no mysql or certificate gauges without mysql and tls settings')
  for (const f of families.values()) {
    for (const s of f.samples) {
      t.notOk(Object.values(s.labels).includes(session), `no session id as a label (${s.name})`)
    }
  }

  await until(async () => await metric2(b.broker, 'tdbroker_disconnects_total', { reason: 'auth_failed' }) === 1, 'the failed authentication\'s disconnect')
  await until(async () => await metric2(b.broker, 'tdbroker_connections', { transport: 'tcp' }) === 2, 'two connections left')
  beta.close()
  await until(async () => await metric2(b.broker, 'tdbroker_disconnects_total', { reason: 'peer_finished' }) === 1, 'beta\'s disconnect counted (it half-closed: peer_finished)')
  t.equal(await metric2(b.broker, 'tdbroker_connections', { transport: 'tcp' }), 1, 'one connection left')
  t.equal(await metric2(b.broker, 'tdbroker_client_connections', { client: 'beta' }), 0, 'beta is no longer a series')
})

/** `metric` with the token of this test's broker. */
async function metric2 (broker: Parameters<typeof metric>[0], name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(await scrape(broker, TOKEN), name, labels) ?? 0
}

t.test('/healthz answers while the broker lives; unknown paths and methods are refused', async t => {
  const b = await startBroker({ admin: { port: 0 } })
  t.teardown(b.stop)
  const health = await adminGet(b.broker, '/healthz')
  t.equal(health.status, 200)
  t.match(JSON.parse(health.body), { status: 'alive', broker: 'running' })
  const ready = await adminGet(b.broker, '/readyz')
  t.equal(ready.status, 200)
  t.match(JSON.parse(ready.body), { status: 'ready', checks: { listening: { ok: true }, store: { ok: true }, sessions: { ok: true } } })
  t.notOk('mysql' in JSON.parse(ready.body).checks, 'no mysql check without mysql settings')
  t.equal((await adminGet(b.broker, '/nothing')).status, 404)
  const a = b.broker.addresses.admin!
  t.equal((await fetch(`http://127.0.0.1:${a.port}/metrics`, { method: 'POST' })).status, 405, 'read-only')
  t.ok(await metric(b.broker, 'tdbroker_sessions', { state: 'running' }) === 0, 'no token needed without admin.token')
})

t.test('admin.token is a secret: masked wherever settings are printed', async t => {
  const { settingsFromObject } = await import('../../src/settings/load.js')
  const { maskSecrets, SECRET_MASK } = await import('../../src/settings/mask.js')
  const settings = settingsFromObject({ tdlib: { path: 's' }, admin: { port: 9464, token: TOKEN } }, '/x')
  t.equal(settings.admin?.token, TOKEN)
  t.match(maskSecrets(settings), { admin: { port: 9464, host: 'localhost', token: SECRET_MASK } })
  t.notMatch(JSON.stringify(maskSecrets(settings)), TOKEN)
  t.throws(() => settingsFromObject({ tdlib: { path: 's' }, admin: { port: 9464, token: 'short' } }, '/x'), /admin\/token/)
})

/**
 * The status page over HTTP: the shell is served without the token and holds
 * no data, with a strict Content-Security-Policy; /status.json needs the
 * token and shows sessions, attached connections, clients with their scope
 * and request rates, and no secrets.
 */
import t from 'tap'
import { startBroker } from '../helpers/broker.js'
import { connectAs, keyClient, testKey } from '../helpers/clients.js'
import { adminGet } from './helpers.js'
import { maskPhone, scopeSummary } from '../../src/admin/status-data.js'

const TOKEN = 'status-token-0123456789abcdef'

t.test('the page is a data-free shell; /status.json needs the token and shows what is going on, without secrets', async t => {
  const aliceKey = await testKey()
  const bobKey = await testKey()
  const b = await startBroker({
    admin: { port: 0, token: TOKEN },
    clients: [
      keyClient('alice', aliceKey, { rate_limit: { requests_per_second: 50, burst: 100, per_type: { testCallString: { requests_per_second: 1 } } } }),
      keyClient('bob', bobKey, { sessions: 'own', may_create_sessions: false, chats: [1, 2, 3] })
    ]
  })
  t.teardown(b.stop)
  const alice = await connectAs(b.port, 'alice', aliceKey)
  t.teardown(() => { alice.close() })
  const session = await alice.createSession()
  for (let x = 0; x < 3; x++) t.equal((await alice.request({ '@type': 'testSquareInt', x, '@session': session })).value, x * x)

  for (const path of ['/', '/status']) {
    const page = await adminGet(b.broker, path)
    t.equal(page.status, 200, `${path} is served without the token`)
    t.match(page.type, /^text\/html/)
    t.notOk(page.body.includes(session), `${path} carries no data (no session id)`)
    t.ok(page.body.includes('status.json'), 'its script fetches /status.json')
  }
  const res = await fetch(`http://127.0.0.1:${b.broker.addresses.admin!.port}/`)
  const csp = res.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'none'/, 'CSP: nothing by default')
  t.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/, 'CSP: only the page\'s own script, by hash (no unsafe-inline)')
  t.match(csp, /connect-src 'self'/, 'CSP: fetches to this origin only')
  t.match(csp, /frame-ancestors 'none'/)
  t.equal(res.headers.get('x-content-type-options'), 'nosniff')
  await res.text()

  t.equal((await adminGet(b.broker, '/status.json')).status, 401, '/status.json without the token: 401')
  t.equal((await adminGet(b.broker, '/status.json', 'not-the-token-at-all')).status, 401, 'a wrong token: 401')
  const r = await adminGet(b.broker, '/status.json', TOKEN)
  t.equal(r.status, 200)
  t.match(r.type, /^application\/json/)
  const d = JSON.parse(r.body)
  t.match(d, { broker: 'running', clients_required: true, certificate: null, mysql: null, cluster: null })
  t.equal(d.sessions.length, 1)
  t.match(d.sessions[0], { session, state: 'running', account: null, creator: 'alice', flood_waits: [] })
  t.same(d.sessions[0].connections.map((c: { client: string }) => c.client), ['alice'], 'the attached connection')
  const byName = new Map(d.clients.map((c: { name: string }) => [c.name, c]))
  t.match(byName.get('alice'), {
    configured: true,
    connections: 1,
    requests: { last_minute: 3, total: 3 },
    scope: { requests: 'global list', sessions: 'all', create_sessions: 'yes', rate_limit: '50/s burst 100, 1 per type' }
  }, 'alice: her connection, her 3 requests and her scope')
  t.match(byName.get('bob'), { configured: true, connections: 0, requests: { total: 0 }, scope: { sessions: 'own', create_sessions: 'no', chats: '3 chats', login: 'no' } }, 'bob: configured, not connected')
  t.match(d.connections, [{ client: 'alice', auth: 'key', transport: 'tcp', sessions: [session] }])
  for (const secret of [TOKEN, aliceKey.key, aliceKey.hash, bobKey.hash, 'key_hash']) t.notOk(r.body.includes(secret), 'no secret in /status.json')
})

t.test('phone numbers are masked and scopes summarised', async t => {
  t.equal(maskPhone('4915112345678'), '•••78')
  t.equal(maskPhone('7'), '•••')
  t.same(scopeSummary({ sessions: ['1', '2'], may_create_sessions: true, allowed_requests: ['a', 'b'], login: false, account: true }),
    { requests: '2 types', updates: 'global list', sessions: '2 listed', create_sessions: 'yes', chats: 'all', login: 'no', account: 'yes', rate_limit: 'none' })
})

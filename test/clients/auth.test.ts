/**
 * Authentication through real sockets: what a connection may do before it
 * proves itself, keys that work and keys that do not, failures closed,
 * logged and slowed down, keys never logged.
 */
import t from 'tap'
import { startBroker } from '../helpers/clients.js'
import { TestClient } from '../helpers/client.js'
import { connectAs, errorName, keyClient, testKey } from '../helpers/clients.js'

t.test('before authenticating, only broker.authenticate, broker.ping and broker.getVersion are answered', async t => {
  const backend = await testKey()
  const b = await startBroker({ clients: [keyClient('backend', backend)] })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })

  t.equal((await a.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
  t.equal((await a.request({ '@type': 'broker.getVersion' }))['@type'], 'broker.version')
  for (const type of ['broker.createSession', 'broker.listSessions', 'broker.getStatus', 'broker.attachSession', 'testSquareInt', 'broker.nope']) {
    const r = await a.request({ '@type': type, x: 2, session: '1', '@session': '1' })
    t.equal(errorName(r), 'AUTH_REQUIRED', `${type} before authenticating`)
    t.equal(r.code, 401)
  }
  t.notOk(a.closed, 'the connection stays open: it may still authenticate')
  const refused = b.logs.find(r => r.audit === 'request.refused' && r.type === 'broker.createSession')
  t.match(refused, { client: 'unauthenticated', reason: 'AUTH_REQUIRED', level: 40 }, 'refusals are audited')

  const ok = await a.request({ '@type': 'broker.authenticate', name: 'backend', key: backend.key, '@extra': 'auth' })
  t.same(ok, { '@type': 'broker.authenticated', client: 'backend', '@extra': 'auth' })
  const session = await a.createSession()
  t.equal((await a.request({ '@type': 'testSquareInt', x: 7, '@session': session })).value, 49, 'then it is served')
  t.match(b.logs.find(r => r.audit === 'auth.ok'), { client: 'backend', method: 'key', level: 30 })
  t.match(b.logs.find(r => r.audit === 'session.create'), { client: 'backend', session })

  const again = await a.request({ '@type': 'broker.authenticate', name: 'backend', key: backend.key })
  t.match(again.message, /^INVALID_REQUEST: this connection is already authenticated as backend/)
})

t.test('requests pipelined behind broker.authenticate wait for it, and are answered after it, in order', async t => {
  const backend = await testKey()
  const b = await startBroker({ clients: [keyClient('backend', backend)] })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  a.sendRaw([
    { '@type': 'broker.authenticate', name: 'backend', key: backend.key, '@extra': 1 },
    { '@type': 'broker.listSessions', '@extra': 2 },
    { '@type': 'broker.ping', '@extra': 3 }
  ].map(m => JSON.stringify(m) + '\n').join(''))
  await a.waitFor(m => m['@extra'] === 3)
  t.same(a.received.map(m => [m['@extra'], m['@type']]), [[1, 'broker.authenticated'], [2, 'broker.sessions'], [3, 'broker.pong']])
})

t.test('a wrong key, an unknown name and a certificate-only client all get the same error, and are closed and logged', async t => {
  const backend = await testKey()
  const b = await startBroker({ clients: [keyClient('backend', backend), { name: 'tls-only', certificate: { subject_cn: 'tls-only' } }] })
  t.teardown(b.stop)
  const attempts = [
    { name: 'backend', key: backend.key.slice(0, -1) + (backend.key.endsWith('A') ? 'B' : 'A'), why: 'wrong key' },
    { name: 'nobody', key: backend.key, why: 'unknown client name' },
    { name: 'tls-only', key: backend.key, why: 'this client authenticates by certificate only' },
    { name: 'backend', key: 42, why: 'name and key must be strings' },
    { name: '__proto__', key: backend.key, why: 'unknown client name' },
    { name: 'constructor', key: backend.key, why: 'unknown client name' }
  ]
  const messages = new Set<unknown>()
  for (const attempt of attempts) {
    const c = await TestClient.connect(b.port)
    const r = await c.request({ '@type': 'broker.authenticate', name: attempt.name, key: attempt.key }, 30_000)
    t.equal(r.code, 401, `${attempt.why}: 401`)
    messages.add(r.message)
    await c.closedPromise
    t.ok(c.closed, `${attempt.why}: the connection is closed`)
    const logged = b.logs.records.filter(x => x.audit === 'auth.failed').at(-1)
    t.match(logged, { why: attempt.why, client: 'unauthenticated', address: '127.0.0.1', level: 40 }, `${attempt.why}: logged`)
    b.broker.authThrottle.succeed('127.0.0.1') // this test is not about the slow-down
  }
  t.same([...messages], ['AUTH_FAILED: unknown client name or wrong key; the connection is closed'], 'the client cannot tell the cases apart')
  const serialized = JSON.stringify(b.logs.records)
  t.notOk(serialized.includes(backend.key.slice(5)), 'no key, right or wrong, reaches the log')
})

t.test('repeated failures from one address are slowed down; a success is not', async t => {
  const backend = await testKey()
  const b = await startBroker({ clients: [keyClient('backend', backend)] }, { authThrottle: { baseDelayMs: 20 } })
  t.teardown(b.stop)
  const delays: number[] = []
  const delayLogs = (): Array<Record<string, unknown>> => b.logs.records.filter(x => x.msg === 'authentication delayed after earlier failures')
  for (let i = 0; i < 4; i++) {
    const before = delayLogs().length
    const c = await TestClient.connect(b.port)
    const r = await c.request({ '@type': 'broker.authenticate', name: 'backend', key: 'tdbk_wrong' }, 30_000)
    t.equal(errorName(r), 'AUTH_FAILED')
    await c.closedPromise
    const logged = delayLogs()
    delays.push(logged.length === before ? 0 : Number(logged.at(-1)?.delay_ms))
  }
  const failures = b.logs.records.filter(x => x.audit === 'auth.failed').map(x => x.failures)
  t.same(failures, [1, 2, 3, 4], 'failures are counted per address')
  t.equal(delays[0], 0, 'the first attempt is not delayed')
  t.ok(delays[1]! > 0, 'the one after a failure is')
  for (let i = 2; i < delays.length; i++) {
    t.ok(delays[i]! > delays[i - 1]!, `attempt ${i + 1} waits longer than attempt ${i} (${delays[i]!} > ${delays[i - 1]!} ms)`)
  }
  t.equal(b.broker.authThrottle.failures('127.0.0.1'), 4)
  // The right key still gets in (after its wait), and clears the record.
  const good = await connectAs(b.port, 'backend', backend)
  t.teardown(() => { good.close() })
  t.equal(b.broker.authThrottle.failures('127.0.0.1'), 0, 'a success forgets the address')
})

t.test('without a clients list nothing changes, and broker.authenticate says there is nothing to do', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()
  t.equal((await a.request({ '@type': 'testSquareInt', x: 3, '@session': session })).value, 9)
  const r = await a.request({ '@type': 'broker.authenticate', name: 'x', key: 'y' })
  t.match(r.message, /^INVALID_REQUEST: this broker has no clients list/)
  t.notOk(a.closed)
})

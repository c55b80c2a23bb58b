/**
 * A SIGHUP-style reload (Broker.reloadClients) that shrinks scopes, removes
 * a client and changes a key: open connections are re-evaluated at once,
 * sessions keep running.
 */
import t from 'tap'
import { settingsFromObject } from '../../src/settings/load.js'
import { FakeBackend } from '../helpers/fake-backend.js'
import { TestClient, type Msg } from '../helpers/client.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const message = (chatId: number, text: string): TdObject => ({
  '@type': 'updateNewMessage',
  message: { '@type': 'message', id: 1, chat_id: chatId, content: { '@type': 'messageText', text: { '@type': 'formattedText', text, entities: [] } } }
})

t.test('a reload that shrinks scopes takes effect at once and drops no session', async t => {
  const keys = { backend: await testKey(), ops: await testKey(), gone: await testKey(), rotated: await testKey() }
  const raw = {
    allowed_requests: ['testSquareInt', 'testCallString'],
    allowed_updates: ['updateNewMessage'],
    terminate_delay: 3600,
    clients: [
      keyClient('backend', keys.backend),
      keyClient('ops', keys.ops),
      keyClient('gone', keys.gone),
      keyClient('rotated', keys.rotated)
    ]
  }
  const backend = new FakeBackend()
  const b = await startBroker(raw, { backend })
  t.teardown(b.stop)
  const be = await connectAs(b.port, 'backend', keys.backend)
  const ops = await connectAs(b.port, 'ops', keys.ops)
  const gone = await connectAs(b.port, 'gone', keys.gone)
  const rotated = await connectAs(b.port, 'rotated', keys.rotated)
  const pending = await TestClient.connect(b.port)
  t.teardown(() => { for (const c of [be, ops, gone, rotated, pending]) c.close() })
  const s1 = await be.createSession()
  const s2 = await be.createSession()
  for (const c of [ops, gone, rotated]) {
    for (const s of [s1, s2]) t.equal((await c.request({ '@type': 'broker.attachSession', session: s }))['@type'], 'broker.attached')
  }
  t.equal((await ops.request({ '@type': 'testCallString', x: 'before', '@session': s1 })).value, 'before', 'ops may call testCallString before the reload')

  const newRotated = await testKey()
  const next = settingsFromObject({
    ...raw,
    clients: [
      keyClient('backend', keys.backend),
      keyClient('ops', keys.ops, { sessions: [s1], may_create_sessions: false, allowed_requests: ['testSquareInt'], chats: [10] }),
      keyClient('rotated', newRotated)
    ],
    tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' },
    host: '127.0.0.1',
    port: 0
  }, b.dir)
  const summary = b.broker.reloadClients(next)
  t.same(summary, { clients: 3, connections: 5, closed: 2, revoked: 1, restart_needed: [] })

  const revoked = await ops.waitFor(m => m['@type'] === 'broker.sessionRevoked')
  t.equal(revoked['@session'], s2)
  t.match(revoked.reason, /no longer includes this session/)
  t.equal(errorName(await ops.request({ '@type': 'testSquareInt', x: 2, '@session': s2 })), 'SESSION_NOT_ALLOWED')
  t.equal(errorName(await ops.request({ '@type': 'testCallString', x: 'after', '@session': s1 })), 'REQUEST_NOT_ALLOWED', 'the narrower request list applies')
  t.equal((await ops.request({ '@type': 'testSquareInt', x: 3, '@session': s1 })).value, 9, 'what is still allowed works, on the same connection')
  t.same(((await ops.request({ '@type': 'broker.listSessions' })).sessions as Msg[]).map(s => s.session), [s1])

  for (const [client, why] of [[gone, /client gone was removed from the settings/], [rotated, /the key of client rotated was changed/]] as const) {
    const notice = await client.waitFor(m => m['@type'] === 'broker.clientRevoked')
    t.match(notice.reason, why)
    await client.closedPromise
    t.ok(client.closed, 'and it is disconnected')
  }
  t.notOk(pending.closed, 'a connection that had not authenticated is left to do so')
  t.notOk(ops.closed)

  // Sessions run on, for everyone still entitled to them.
  t.same([b.broker.registry.get(s1)?.state, b.broker.registry.get(s2)?.state], ['running', 'running'])
  backend.client(s1).emit(message(10, 'in scope'))
  backend.client(s1).emit(message(11, 'out of scope'))
  await be.waitFor(m => m['@type'] === 'updateNewMessage' && (m.message as Msg).chat_id === 11)
  await ops.request({ '@type': 'broker.ping' }) // everything sent before the ping has arrived
  const seen = ops.updates(s1, 'updateNewMessage').map(m => (m.message as Msg).chat_id)
  t.same(seen, [10], 'ops now hears only about its chat')
  t.equal((await be.request({ '@type': 'testSquareInt', x: 4, '@session': s2 })).value, 16, 'the backend is untouched')

  const afterwards = await connectAs(b.port, 'rotated', newRotated)
  t.teardown(() => { afterwards.close() })
  t.pass('the new key works')
  const oldKey = await TestClient.connect(b.port)
  const refused = await oldKey.request({ '@type': 'broker.authenticate', name: 'rotated', key: keys.rotated.key })
  t.equal(errorName(refused), 'AUTH_FAILED', 'the old one does not')

  t.ok(b.logs.find(r => r.audit === 'clients.reload' && r.closed === 2), 'the reload is audited')
  t.ok(b.logs.find(r => r.audit === 'client.revoked' && r.client === 'gone'))
  t.ok(b.logs.find(r => r.audit === 'session.revoked' && r.client === 'ops' && r.session === s2))
})

t.test('a reload can add a clients list (open connections must then authenticate) or drop it', async t => {
  const key = await testKey()
  const backend = new FakeBackend()
  const raw = { terminate_delay: 3600, host: '127.0.0.1', port: 0, tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' } }
  const b = await startBroker(raw, { backend })
  t.teardown(b.stop)
  const open = await TestClient.connect(b.port)
  t.teardown(() => { open.close() })
  const session = await open.createSession()

  const withClients = settingsFromObject({ ...raw, clients: [keyClient('backend', key)] }, b.dir)
  t.same(b.broker.reloadClients(withClients), { clients: 1, connections: 1, closed: 1, revoked: 0, restart_needed: [] })
  const notice = await open.waitFor(m => m['@type'] === 'broker.clientRevoked')
  t.match(notice.reason, /now has a clients list/)
  await open.closedPromise
  t.equal(b.broker.registry.get(session)?.state, 'running', 'the session was not dropped (terminate_delay keeps it)')

  const waiting = await TestClient.connect(b.port)
  t.teardown(() => { waiting.close() })
  t.equal(errorName(await waiting.request({ '@type': 'broker.listSessions' })), 'AUTH_REQUIRED')
  const changed = settingsFromObject({ ...raw, terminate_delay: 5 }, b.dir)
  t.same(b.broker.reloadClients(changed).restart_needed, ['terminate_delay'], 'options a reload cannot apply are named')
  t.equal((await waiting.request({ '@type': 'broker.listSessions' }))['@type'], 'broker.sessions', 'without a clients list it is trusted again')
})

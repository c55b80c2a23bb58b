/**
 * The core protocol on real TDLib through real sockets: sessions, shared
 * attachment, round trips with @extra, whitelists.
 */
import t from 'tap'
import { startBroker, TEST_ALLOWED_REQUESTS } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'

const isAuthState = (session: string, state: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session &&
  (m.authorization_state as Msg)['@type'] === state

t.test('create a session, attach from two connections, both see waitPhoneNumber', async t => {
  const b = await startBroker({ allowed_updates: [] })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { a.close(); c.close() })

  const session = await a.createSession()
  t.match(session, /^[1-9][0-9]*$/, 'session ids are decimal digits')
  const first = await a.waitFor(isAuthState(session, 'authorizationStateWaitPhoneNumber'))
  t.type(first['@seq'], 'number', 'updates carry a sequence number')

  const attached = await c.request({ '@type': 'broker.attachSession', session })
  t.equal(attached['@type'], 'broker.attached')
  t.equal(attached.authorization_state, 'authorizationStateWaitPhoneNumber')
  const second = await c.waitFor(isAuthState(session, 'authorizationStateWaitPhoneNumber'))
  t.equal(second['@seq'], first['@seq'], 'the late attacher gets the same update, same sequence number')

  const list = await c.request({ '@type': 'broker.listSessions' })
  t.same((list.sessions as Msg[]).map(s => [s.session, s.state, s.clients, s.attached]), [[session, 'running', 2, true]])
})

t.test('round trips keep @extra of any JSON kind and answer only the asker', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { a.close(); c.close() })
  const session = await a.createSession()
  await c.request({ '@type': 'broker.attachSession', session })

  const extras: unknown[] = [{ id: 7, nested: { list: [1, 'two', null] } }, 'a string', 12345, 0, false, null, [1, 2]]
  for (const extra of extras) {
    const r = await a.request({ '@type': 'testSquareInt', x: 12, '@session': session, '@extra': extra })
    t.same(r, { '@type': 'testInt', value: 144, '@extra': extra, '@session': session }, `@extra ${JSON.stringify(extra)}`)
  }
  const s = await c.request({ '@type': 'testCallString', x: 'héllo ✓ "quoted"\n', '@session': session, '@extra': 'x' })
  t.same(s, { '@type': 'testString', value: 'héllo ✓ "quoted"\n', '@extra': 'x', '@session': session })

  const noExtra = await new Promise<Msg>(resolve => {
    a.send({ '@type': 'testCallEmpty', '@session': session })
    void a.waitFor(m => m['@type'] === 'ok' && !('@extra' in m)).then(resolve)
  })
  t.equal(noExtra['@session'], session, 'a request without @extra still gets its answer, without @extra')

  const err = await a.request({ '@type': 'testReturnError', error: { '@type': 'error', code: 418, message: 'TEAPOT' }, '@session': session })
  t.match(err, { '@type': 'error', code: 418, message: 'TEAPOT', '@session': session }, "TDLib's own errors pass through with their code")

  // Each connection received only its own answers.
  t.notOk(c.received.some(m => m['@extra'] === 'a string' || JSON.stringify(m['@extra']) === '{"id":7,"nested":{"list":[1,"two",null]}}'), 'the other client never sees these answers')
  t.notOk(a.received.some(m => m['@extra'] === 'x'), 'and the asker never sees the other client\'s')
})

t.test('a disallowed request is refused, logged and never executed', async t => {
  const b = await startBroker({ allowed_requests: [...TEST_ALLOWED_REQUESTS, 'getProxies'] })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()

  const refused = await a.request({ '@type': 'addProxy', proxy: { '@type': 'proxy', server: '127.0.0.1', port: 1080, type: { '@type': 'proxyTypeSocks5', username: '', password: '' } }, enable: false, '@session': session, '@extra': 9 })
  t.same(refused, { '@type': 'error', code: 403, message: 'REQUEST_NOT_ALLOWED: addProxy is not in allowed_requests', '@extra': 9, '@session': session })
  const proxies = await a.request({ '@type': 'getProxies', '@session': session })
  t.same(proxies, { '@type': 'addedProxies', proxies: [], '@extra': proxies['@extra'], '@session': session }, 'TDLib never saw the refused addProxy')
  const logged = b.logs.find(r => r.msg === 'request refused: not allowed')
  t.ok(logged, 'the refusal is logged')
  t.equal(logged?.level, 40, 'at warning level')
  t.match(logged, { type: 'addProxy', session, client: 'anonymous' })

  for (const type of ['TestSquareInt', 'testSquareInt ', 'testSquareІnt', 'setTdlibParameters']) {
    const r = await a.request({ '@type': type, x: 2, '@session': session })
    t.equal(r.code, 403, `${JSON.stringify(type)} is refused`)
  }
  const reserved = await a.request({ '@type': 'setLogStream', log_stream: { '@type': 'logStreamFile', path: '/tmp/x', max_file_size: 1 }, '@session': session })
  t.match(reserved.message, /^REQUEST_RESERVED: /, 'broker-owned requests are refused even if whitelisted')
})

t.test('updates outside allowed_updates are not delivered; state updates always are', async t => {
  const b = await startBroker({ allowed_updates: [] })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()
  await a.waitFor(m => m['@type'] === 'updateConnectionState')
  await a.request({ '@type': 'testSquareInt', x: 1, '@session': session })
  const types = new Set(a.updates(session).map(m => m['@type']))
  t.same([...types].sort(), ['updateAuthorizationState', 'updateConnectionState'])

  const b2 = await startBroker({ allowed_updates: ['updateOption'] })
  t.teardown(b2.stop)
  const d = await TestClient.connect(b2.port)
  t.teardown(() => { d.close() })
  const s2 = await d.createSession()
  const option = await d.waitFor(m => m['@type'] === 'updateOption' && m['@session'] === s2)
  t.type(option.name, 'string', 'a whitelisted update type is delivered (control for the test above)')
})

t.test('requests pipelined behind an attach wait for the session to start', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const created = await a.request({ '@type': 'broker.createSession', attach: false })
  const session = created.session as string
  a.sendRaw(JSON.stringify({ '@type': 'broker.attachSession', session, '@extra': 'attach' }) + '\n' +
    JSON.stringify({ '@type': 'testSquareInt', x: 6, '@session': session, '@extra': 'square' }) + '\n')
  const square = await a.waitFor(m => m['@extra'] === 'square')
  t.same(square, { '@type': 'testInt', value: 36, '@extra': 'square', '@session': session })
  t.equal((await a.waitFor(m => m['@extra'] === 'attach'))['@type'], 'broker.attached')
})

t.test('the broker answers authorizationStateWaitTdlibParameters itself, unless it has no credentials', async t => {
  const waitParams = (m: Msg): boolean => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitTdlibParameters'
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()
  await a.waitFor(isAuthState(session, 'authorizationStateWaitPhoneNumber'))
  t.notOk(a.received.some(waitParams), 'with api_id and api_hash, clients never see the parameters state')

  const bare = await startBroker({ tdlib: { api_id: undefined, api_hash: undefined } })
  t.teardown(bare.stop)
  const c = await TestClient.connect(bare.port)
  t.teardown(() => { c.close() })
  await c.createSession()
  await c.waitFor(waitParams)
  t.pass('without them, the session rests in the parameters state and clients see it')
})

/** Bad input gets a documented error; the connection and the broker carry on (except for oversize lines). */
import t from 'tap'
import { startBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'

t.test('malformed lines get errors and the connection stays open', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })

  a.sendRaw('{"@type": "broker.ping", oops}\n')
  const bad = await a.waitFor(m => m['@type'] === 'error')
  t.equal(bad.code, 400)
  t.match(bad.message, /^MALFORMED_JSON: invalid JSON: /)

  for (const [line, pattern] of [
    ['[1,2,3]', /^MALFORMED_JSON: expected a JSON object, got an array$/],
    ['"just a string"', /^MALFORMED_JSON: expected a JSON object, got string$/],
    ['null', /^MALFORMED_JSON: expected a JSON object, got null$/],
    ['{"@extra":5}', /^MISSING_TYPE: @type must be a non-empty string, got nothing$/],
    ['{"@type":["testSquareInt"],"@extra":6}', /^MISSING_TYPE: .*got an array$/],
    ['{"@type":{"x":1},"@extra":7}', /^MISSING_TYPE: .*got a object$/],
    ['{"@type":"broker.nope","@extra":8}', /^UNKNOWN_CONTROL_REQUEST: broker.nope is not a broker request/]
  ] as const) {
    const before = a.received.length
    a.sendRaw(line + '\n')
    const r = await a.waitFor(m => a.received.indexOf(m) >= before && m['@type'] === 'error')
    t.match(r.message, pattern, line)
  }
  t.equal((await a.waitFor(m => m['@type'] === 'error' && m['@extra'] === 5))['@extra'], 5, '@extra is kept when it could be read')
  const pong = await a.request({ '@type': 'broker.ping' })
  t.equal(pong['@type'], 'broker.pong', 'the connection still works after every error')
  t.notOk(a.closed)
})

t.test('session ids: unknown, path-like, missing, not attached', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const other = await TestClient.connect(b.port)
  t.teardown(() => { a.close(); other.close() })
  const session = await a.createSession()

  const cases: Array<[unknown, RegExp]> = [
    ['../../etc', /^INVALID_SESSION_ID: /],
    ['1/../2', /^INVALID_SESSION_ID: /],
    ['.tdbroker.lock', /^INVALID_SESSION_ID: /],
    ['0123', /^INVALID_SESSION_ID: /],
    ['99999999999999999999999', /^INVALID_SESSION_ID: /],
    [Number(session.slice(0, 10)), /^INVALID_SESSION_ID: /],
    ['42', /^UNKNOWN_SESSION: no session 42$/]
  ]
  for (const [id, pattern] of cases) {
    const r = await a.request({ '@type': 'broker.attachSession', session: id })
    t.match(r.message, pattern, `attach ${JSON.stringify(id)}`)
    const q = await a.request({ '@type': 'testSquareInt', x: 3, '@session': id })
    t.match(q.message, pattern, `request to ${JSON.stringify(id)}`)
  }
  t.same((await a.request({ '@type': 'testSquareInt', x: 3 })).message, 'MISSING_SESSION: testSquareInt names no @session')
  const notAttached = await other.request({ '@type': 'testSquareInt', x: 3, '@session': session })
  t.equal(notAttached.code, 403)
  t.match(notAttached.message, /^NOT_ATTACHED: /)
  t.equal(notAttached['@session'], session)
  const detach = await other.request({ '@type': 'broker.detachSession', session })
  t.match(detach.message, /^NOT_ATTACHED: /)
  const { readdirSync } = await import('node:fs')
  t.same(readdirSync(b.settings.tdlib.path).filter(n => !n.startsWith('.')), [session], 'no folder was created for any refused id')
})

t.test('keys that could smuggle a type past the policy are refused', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()
  const cases: Msg[] = [
    { '@type': 'testSquareInt', _: 'addProxy', x: 2 },
    { '@type': 'testCallString', x: 'y', nested: { _: 'addProxy' } },
    JSON.parse('{"@type":"testSquareInt","x":2,"__proto__":{"@type":"addProxy"}}') as Msg,
    { '@type': 'testCallString', x: 'y', inner: { '@type': 5 } }
  ]
  for (const msg of cases) {
    const r = await a.request({ ...msg, '@session': session })
    t.match(r.message, /^INVALID_REQUEST: /, JSON.stringify(msg))
  }
  const ok = await a.request({ '@type': 'testSquareInt', x: 2, '@session': session, '@extra': { _: 'fine in extra' } })
  t.equal(ok.value, 4, '@extra may hold anything: it never reaches TDLib')
})

t.test('a line over max_frame_size gets an error and the connection is closed; others are unaffected', async t => {
  const b = await startBroker({ max_frame_size: 4096 })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  a.sendRaw('{"@type":"broker.ping","pad":"' + 'x'.repeat(5000))
  const r = await a.waitFor(m => m['@type'] === 'error')
  t.equal(r.code, 413)
  t.match(r.message, /^FRAME_TOO_LARGE: /)
  await a.closedPromise
  t.ok(a.closed, 'the connection was closed')
  t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'another connection still works')

  const d = await TestClient.connect(b.port)
  t.teardown(() => { d.close() })
  const exact = await d.request({ '@type': 'broker.ping', pad: 'y'.repeat(4096 - 100) })
  t.equal(exact['@type'], 'broker.pong', 'a line just under the limit is fine')
})

t.test('a client that does not read is closed at max_client_queue; the session and other clients carry on', async t => {
  const b = await startBroker({ max_client_queue: 65536 })
  t.teardown(b.stop)
  const slow = await TestClient.connect(b.port)
  const fast = await TestClient.connect(b.port)
  t.teardown(() => { fast.close() })
  const session = await slow.createSession()
  await fast.request({ '@type': 'broker.attachSession', session })
  slow.socket.pause()
  const big = 'z'.repeat(100_000)
  for (let i = 0; i < 100; i++) slow.send({ '@type': 'testCallString', x: big, '@session': session, '@extra': i })
  const tooSlow = 'client too slow: output queue over max_client_queue; closing'
  while (b.logs.find(r => r.msg === tooSlow) === undefined) await new Promise(resolve => setTimeout(resolve, 20))
  const logged = b.logs.find(r => r.msg === tooSlow)
  t.ok(logged, 'the broker gave up on the slow client and logged why')
  slow.socket.resume()
  await slow.closedPromise
  t.ok(slow.closed, 'the slow client was disconnected')
  t.equal(b.broker.connectionCount, 1, 'only the fast client remains')
  t.equal(logged?.limit, 65536)
  const r = await fast.request({ '@type': 'testSquareInt', x: 5, '@session': session })
  t.equal(r.value, 25, 'the other client on the same session is served')
})

t.test('a client that half-closes (a pipe into nc or socat) still gets every answer, then the connection closes', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  a.socket.end(JSON.stringify({ '@type': 'broker.createSession', attach: false, '@extra': 'c' }) + '\n' +
    JSON.stringify({ '@type': 'broker.ping', '@extra': 'p' }) + '\n')
  await a.closedPromise
  t.equal(a.received.find(m => m['@extra'] === 'c')?.['@type'], 'broker.session', 'the slow answer arrived')
  t.equal(a.received.find(m => m['@extra'] === 'p')?.['@type'], 'broker.pong')
  t.equal(b.broker.connectionCount, 0, 'and the broker closed the connection')
})

/**
 * Connection limits on real sockets: the authentication deadline, the
 * smaller frame limit before authentication (TCP, TLS, WebSocket), the caps
 * on connections overall and per address, and the idle timeout. Timeouts
 * are short in these settings; every wait is bounded.
 */
import { once } from 'node:events'
import type net from 'node:net'
import tls from 'node:tls'
import t from 'tap'
import { WebSocket } from 'ws'
import { startBroker, tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, testKey } from '../helpers/clients.js'
import { writeSelfSignedPair } from '../helpers/certs.js'

/** A line a little over `bytes` bytes that the broker answers (broker.ping whose @extra has `bytes` characters). */
const pingOf = (bytes: number, extra = 'x'): string => JSON.stringify({ '@type': 'broker.ping', '@extra': extra.padEnd(bytes, 'x') })

/** Resolves once the client's socket has closed, failing after `ms`. */
async function closedWithin (c: TestClient, ms = 10_000): Promise<void> {
  await Promise.race([c.closedPromise, new Promise((_resolve, reject) => { setTimeout(() => { reject(new Error('the connection was not closed')) }, ms).unref() })])
}

t.test('auth_timeout: a pending connection is told AUTH_TIMEOUT and closed; an authenticated one stays', async t => {
  const key = await testKey()
  const b = await startBroker({ clients: [keyClient('svc', key)], auth_timeout: 0.3 })
  t.teardown(b.stop)
  const authed = await connectAs(b.port, 'svc', key)
  const pending = await TestClient.connect(b.port)
  const told = await pending.waitFor(m => m['@type'] === 'error', 10_000, 'AUTH_TIMEOUT')
  t.equal(errorName(told), 'AUTH_TIMEOUT')
  t.equal(told.code, 408)
  t.match(told.message, /auth_timeout/)
  await closedWithin(pending)
  t.pass('the pending connection was closed')
  // The authenticated one's deadline (it connected first) has passed too.
  t.equal((await authed.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'an authenticated connection is not closed by the deadline')
  authed.close()
})

t.test('auth_timeout also ends an authentication waiting in the throttle queue, which it leaves', async t => {
  const key = await testKey()
  const b = await startBroker({ clients: [keyClient('svc', key)], auth_timeout: 0.5 }, { authThrottle: { baseDelayMs: 60_000, maxDelayMs: 60_000, maxQueueMs: 600_000 } })
  t.teardown(b.stop)
  const first = await TestClient.connect(b.port)
  t.equal(errorName(await first.request({ '@type': 'broker.authenticate', name: 'svc', key: 'tdbk_wrong' })), 'AUTH_FAILED')
  const queued = await TestClient.connect(b.port)
  queued.send({ '@type': 'broker.authenticate', name: 'svc', key: key.key, '@extra': 'q' })
  const told = await queued.waitFor(m => m['@type'] === 'error', 10_000, 'AUTH_TIMEOUT')
  t.equal(errorName(told), 'AUTH_TIMEOUT', 'an attempt told to wait 60 s is cut off by the deadline')
  await closedWithin(queued)
  t.equal(queued.received.length, 1, 'and gets no other answer')
  // Forget the failure: if the closed attempt still held the queue, this one would wait past its own deadline.
  b.broker.authThrottle.succeed('127.0.0.1', 'svc')
  const next = await connectAs(b.port, 'svc', key)
  t.pass('the next attempt for the same name from the same address is checked at once')
  next.close()
})

t.test('no clients list: no authentication deadline', async t => {
  const b = await startBroker({ auth_timeout: 0.2, idle_timeout: 0.6 })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  const told = await c.waitFor(m => m['@type'] === 'error', 10_000, 'IDLE_TIMEOUT')
  t.equal(errorName(told), 'IDLE_TIMEOUT', 'the first thing that closes an open connection is the idle timeout, not auth_timeout')
})

t.test('max_frame_size_unauthenticated on TCP: a long line before authentication closes; after it the normal limit applies', async t => {
  const key = await testKey()
  const b = await startBroker({ clients: [keyClient('svc', key)], max_frame_size_unauthenticated: 1024, max_frame_size: 8192 })
  t.teardown(b.stop)

  const pending = await TestClient.connect(b.port)
  pending.sendRaw(pingOf(2000) + '\n')
  const refused = await pending.waitFor(m => m['@type'] === 'error')
  t.equal(errorName(refused), 'FRAME_TOO_LARGE')
  t.match(refused.message, /max_frame_size_unauthenticated .*\(1024\)/, 'the message names the limit before authentication')
  await closedWithin(pending)

  const unterminated = await TestClient.connect(b.port)
  unterminated.sendRaw('{"@type":"broker.ping","@extra":"' + 'x'.repeat(1100))
  t.equal(errorName(await unterminated.waitFor(m => m['@type'] === 'error')), 'FRAME_TOO_LARGE', 'an unterminated line is refused once it passes the limit, without waiting for its end')
  await closedWithin(unterminated)

  const authed = await connectAs(b.port, 'svc', key)
  authed.sendRaw(pingOf(4000, 'big') + '\n')
  const pong = await authed.waitFor(m => m['@type'] === 'broker.pong')
  t.equal(String(pong['@extra']).length, 4000, 'after authentication a 4000-byte line is answered')
  authed.sendRaw(pingOf(9000) + '\n')
  const over = await authed.waitFor(m => m['@type'] === 'error')
  t.match(over.message, /^FRAME_TOO_LARGE: .* exceeds max_frame_size \(8192\)/, 'and max_frame_size still holds')
})

t.test('max_frame_size_unauthenticated on TLS and WebSocket', async t => {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const key = await testKey()
  const b = await startBroker({
    clients: [keyClient('svc', key)],
    max_frame_size_unauthenticated: 1024,
    tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', verify_clients: false },
    websocket: { host: '127.0.0.1', port: 0 }
  }, { dir })
  t.teardown(b.stop)

  t.test('TLS', async t => {
    const socket = tls.connect({ host: '127.0.0.1', port: b.broker.addresses.tls?.port ?? 0, ca: pair.cert, servername: 'localhost' })
    await once(socket, 'secureConnect')
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { text += d })
    socket.write(pingOf(2000) + '\n')
    await once(socket, 'close')
    t.match(JSON.parse(text.split('\n')[0] ?? ''), { '@type': 'error', code: 413, message: /^FRAME_TOO_LARGE: .*max_frame_size_unauthenticated/ }, 'refused and closed')
  })

  t.test('WebSocket', async t => {
    const url = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
    const pending = new WebSocket(url)
    await once(pending, 'open')
    pending.send(pingOf(2000))
    const [code] = await once(pending, 'close') as [number]
    t.equal(code, 1009, 'a message over the limit before authentication closes with 1009')

    // A frame header announcing 2000 bytes, then only 10 of them: ws must refuse on the header
    // (the limit is ws's own), not buffer the message to check it once complete.
    const partial = new WebSocket(url)
    await once(partial, 'open')
    const header = Buffer.from([0x81, 0xfe, 0x07, 0xd0, 1, 2, 3, 4])
    ;(partial as unknown as { _socket: net.Socket })._socket.write(Buffer.concat([header, Buffer.alloc(10, 0x61)]))
    const [partialCode] = await once(partial, 'close') as [number]
    t.equal(partialCode, 1009, 'refused on the frame header, before the message is buffered')

    const ws = new WebSocket(url)
    await once(ws, 'open')
    const answers: Msg[] = []
    const next = async (): Promise<Msg> => {
      while (answers.length === 0) await once(ws, 'message-parsed')
      return answers.shift() as Msg
    }
    ws.on('message', data => { answers.push(JSON.parse(String(data)) as Msg); ws.emit('message-parsed') })
    ws.send(JSON.stringify({ '@type': 'broker.authenticate', name: 'svc', key: key.key }))
    t.equal((await next())['@type'], 'broker.authenticated')
    ws.send(pingOf(4000))
    t.equal((await next())['@type'], 'broker.pong', 'after authentication a larger message passes')
    ws.close()
  })
})

t.test('max_connections: one more gets TOO_MANY_CONNECTIONS and is closed; the refusals are logged, but not each one', async t => {
  const b = await startBroker({ max_connections: 3 })
  t.teardown(b.stop)
  const open = await Promise.all([1, 2, 3].map(async () => await TestClient.connect(b.port)))
  for (const c of open) t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
  const refused: TestClient[] = []
  for (let i = 0; i < 10; i++) refused.push(await TestClient.connect(b.port))
  for (const c of refused) {
    const m = await c.waitFor(() => true)
    t.equal(errorName(m), 'TOO_MANY_CONNECTIONS')
    await closedWithin(c)
  }
  t.equal(refused.every(c => c.received.length === 1), true, 'each refused connection got exactly one line')
  const logged = b.logs.records.filter(r => r.msg === 'connection refused')
  t.equal(logged.length, 1, 'ten refusals within the interval make one log line')
  t.match(logged[0], { reason: 'TOO_MANY_CONNECTIONS', remote: /^127\.0\.0\.1:\d+$/ })

  open[0]?.close()
  await closedWithin(open[0] as TestClient)
  // The broker notices the close on its own side too; its log says so.
  await waitUntil(() => b.broker.connectionCount === 2)
  const again = await TestClient.connect(b.port)
  t.equal((await again.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'a closed connection frees its place')
  for (const c of [...open.slice(1), again]) c.close()
})

t.test('max_connections_per_address: a third from one address is refused, another address is not', async t => {
  const b = await startBroker({ max_connections_per_address: 2 })
  t.teardown(b.stop)
  const first = await Promise.all([1, 2].map(async () => await TestClient.connect(b.port)))
  for (const c of first) t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
  const third = await TestClient.connect(b.port)
  const m = await third.waitFor(() => true)
  t.equal(errorName(m), 'TOO_MANY_CONNECTIONS_PER_ADDRESS')
  t.equal(m.code, 429)
  t.match(m.message, /127\.0\.0\.1 already has 2 open connections/)
  await closedWithin(third)
  const other = await TestClient.connect(b.port, '127.0.0.1', '127.0.0.2')
  t.equal((await other.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'a connection from 127.0.0.2 is accepted')
  for (const c of [...first, other]) c.close()
})

t.test('idle_timeout: closes a connection attached to nothing; any line resets it; an attached connection is never idle', async t => {
  const b = await startBroker({ idle_timeout: 1 })
  t.teardown(b.stop)
  const attached = await TestClient.connect(b.port)
  const session = await attached.createSession()
  const talker = await TestClient.connect(b.port)
  const quiet = await TestClient.connect(b.port)

  // The talker sends a line every 200 ms for 2.5 s: longer than idle_timeout, never 1 s apart.
  const started = Date.now()
  while (Date.now() - started < 2500) {
    t.equal((await talker.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
    await new Promise(resolve => { setTimeout(resolve, 200) })
  }
  t.equal(talker.closed, false, 'lines keep resetting the idle timer')

  const told = await quiet.waitFor(m => m['@type'] === 'error', 10_000, 'IDLE_TIMEOUT')
  t.equal(errorName(told), 'IDLE_TIMEOUT')
  t.match(told.message, /idle_timeout/)
  await closedWithin(quiet)

  // The attached connection was silent since before `quiet` connected, so its timer ran out first.
  t.equal(attached.closed, false)
  t.equal((await attached.request({ '@type': 'testSquareInt', x: 3, '@session': session })).value, 9, 'the attached connection is still served')
  const idle = await talker.waitFor(m => m['@type'] === 'error', 10_000, 'IDLE_TIMEOUT of the talker')
  t.equal(errorName(idle), 'IDLE_TIMEOUT', 'once the talker stops, it is closed too')

  // Detached, the connection is attached to nothing again: idle_timeout after its last line, it is closed.
  t.equal((await attached.request({ '@type': 'broker.detachSession', session }))['@type'], 'broker.detached')
  const detachedAt = Date.now()
  const gone = await attached.waitFor(m => m['@type'] === 'error', 10_000, 'IDLE_TIMEOUT after the detach')
  t.equal(errorName(gone), 'IDLE_TIMEOUT', 'a connection that detached from its last session becomes idle')
  t.ok(Date.now() - detachedAt >= 900, 'not before idle_timeout has passed since the detach')
  await closedWithin(attached)
})

/** Polls a condition the broker reaches on its own (a socket close it must notice), up to 10 s. */
async function waitUntil (condition: () => boolean): Promise<void> {
  const until = Date.now() + 10_000
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not reached within 10 s')
    await new Promise(resolve => { setTimeout(resolve, 20) })
  }
}

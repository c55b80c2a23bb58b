/**
 * The built-in TLS listener and the WebSocket transport on a real broker:
 * client certificates checked in the handshake, rotation without dropping
 * connections, and the same protocol over WebSocket.
 */
import t from 'tap'
import tls from 'node:tls'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { generateCaSet, generateSelfSigned } from '../../src/certs/generate.js'
import { startBroker, tempDir } from '../helpers/broker.js'
import type { Msg } from '../helpers/client.js'
import { writeSelfSignedPair, writeCaFiles, LOCAL_NAMES } from '../helpers/certs.js'


/** A TLS client speaking the line protocol. */
async function tlsClient (port: number, opts: tls.ConnectionOptions): Promise<{ socket: tls.TLSSocket, request: (m: Msg) => Promise<Msg>, closed: Promise<void> }> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts })
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
  socket.on('error', e => { console.error('CLIENTERR', e.message) })
  let buffer = ''
  const waiting = new Map<string, (m: Msg) => void>()
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const msg = JSON.parse(buffer.slice(0, nl)) as Msg
      buffer = buffer.slice(nl + 1)
      const w = waiting.get(String(msg['@extra']))
      if (w !== undefined) { waiting.delete(String(msg['@extra'])); w(msg) }
    }
  })
  let n = 0
  const closed = new Promise<void>(resolve => { socket.on('close', () => { resolve() }) })
  return {
    socket,
    closed,
    request: async m => await new Promise(resolve => {
      const extra = `t${++n}`
      waiting.set(extra, resolve)
      socket.write(JSON.stringify({ ...m, '@extra': extra }) + '\n')
    })
  }
}

/** Resolves with the handshake error, or rejects if the handshake succeeded and data flowed. */
async function handshakeFails (port: number, opts: tls.ConnectionOptions): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts })
    socket.on('error', e => { resolve(e.message) })
    socket.on('secureConnect', () => {
      // TLS 1.3 reports the client's rejection after the handshake: the first read fails.
      socket.write('{"@type":"broker.ping","@extra":1}\n')
      socket.on('data', () => { reject(new Error('the broker answered a client it should have refused')) })
      socket.on('close', () => { resolve('closed by the server') })
    })
  })
}

t.test('TLS with a CA: a client certificate is required; rotation keeps connections and changes what new handshakes see', async t => {
  const dir = tempDir()
  const first = await generateCaSet({ serverAltNames: LOCAL_NAMES, clients: ['backend'] })
  const other = await generateCaSet({ serverAltNames: LOCAL_NAMES, clients: ['intruder'] })
  const files = { cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem'), ca: join(dir, 'ca.pem') }
  writeFileSync(files.cert, first.server.cert)
  writeFileSync(files.key, first.server.key)
  writeFileSync(files.ca, first.ca.cert)
  const b = await startBroker({ tls: { host: '127.0.0.1', port: 0, cert: 'server.pem', key: 'server-key.pem', ca: 'ca.pem' } }, { dir })
  t.teardown(async () => { console.error('STOP-BEGIN'); try { await b.stop() } catch (e) { console.error('STOPERR', e) ; throw e }; console.error('STOP-END') })
  const port = b.broker.addresses.tls?.port ?? 0
  const client = first.clients[0]!

  const good = await tlsClient(port, { cert: client.cert, key: client.key, ca: first.ca.cert })
  t.equal((await good.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'a client with a certificate from the CA is served')
  const session = (await good.request({ '@type': 'broker.createSession' })).session as string
  t.equal((await good.request({ '@type': 'testSquareInt', x: 4, '@session': session })).value, 16, 'TDLib round trip over TLS')

  t.match(await handshakeFails(port, { ca: first.ca.cert }), /.+/, 'no client certificate: refused')
  t.match(await handshakeFails(port, { cert: other.clients[0]!.cert, key: other.clients[0]!.key, ca: first.ca.cert }), /.+/, 'a certificate from another CA: refused')

  const status = await good.request({ '@type': 'broker.getStatus' })
  t.equal((status.certificate as Msg).subject, 'CN=tdbroker', 'status reports the certificate')
  t.ok(((status.certificate as Msg).days_left as number) >= 364, 'and its days left')

  // Rotate to a whole new CA set; the open connection must survive.
  const next = await generateCaSet({ serverAltNames: LOCAL_NAMES, serverCommonName: 'rotated', clients: ['backend'] })
  writeFileSync(files.cert, next.server.cert)
  writeFileSync(files.key, next.server.key)
  writeFileSync(files.ca, next.ca.cert)
  await b.broker.reloadCertificates()
  t.equal((await good.request({ '@type': 'testSquareInt', x: 5, '@session': session })).value, 25, 'the existing TLS connection and its session carry on')
  const fresh = await tlsClient(port, { cert: next.clients[0]!.cert, key: next.clients[0]!.key, ca: next.ca.cert })
  t.match(fresh.socket.getPeerCertificate().subject.CN, 'rotated', 'a new handshake gets the new certificate')
  t.equal((await fresh.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
  t.match(await handshakeFails(port, { cert: client.cert, key: client.key, ca: first.ca.cert }), /.+/, 'the old CA is no longer accepted')

  // A broken file during rotation keeps the current certificates.
  writeFileSync(files.key, 'not a key')
  await t.rejects(b.broker.reloadCertificates())
  t.ok(b.logs.find(r => r.msg === 'certificate reload failed; the previous certificates stay in use'), 'the failed reload is logged')
  const still = await tlsClient(port, { cert: next.clients[0]!.cert, key: next.clients[0]!.key, ca: next.ca.cert })
  t.equal((await still.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'handshakes still work on the previous certificates')
  for (const c of [good, fresh, still]) c.socket.end()
})

t.test("siptg's model: one self-signed pair is the server certificate and the only accepted client certificate", async t => {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const stranger = await generateSelfSigned({ altNames: LOCAL_NAMES })
  const b = await startBroker({ tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' } }, { dir })
  t.teardown(b.stop)
  const port = b.broker.addresses.tls?.port ?? 0
  const c = await tlsClient(port, { cert: pair.cert, key: pair.key, ca: pair.cert })
  t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'the pair itself is accepted')
  c.socket.end()
  t.match(await handshakeFails(port, { cert: stranger.cert, key: stranger.key, ca: pair.cert }), /.+/, 'another self-signed certificate is refused')
})

t.test('an expired certificate stops the start unless allowed', async t => {
  const dir = tempDir()
  await writeSelfSignedPair(dir, { notBefore: new Date(Date.now() - 400 * 86_400_000), days: 30 })
  await t.rejects(startBroker({ tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' } }, { dir }), /expired/)
  const b = await startBroker({ tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem', allow_expired: true } }, { dir })
  t.teardown(b.stop)
  t.ok(b.broker.addresses.tls, 'allow_expired lets it start')
})

/** A WebSocket client: one JSON object per message. */
async function wsClient (url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<{ ws: WebSocket, received: Msg[], request: (m: Msg) => Promise<Msg>, waitFor: (p: (m: Msg) => boolean) => Promise<Msg> }> {
  const ws = new WebSocket(url, opts)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  const received: Msg[] = []
  const waiters: Array<[(m: Msg) => boolean, (m: Msg) => void]> = []
  ws.on('message', data => {
    const msg = JSON.parse(String(data)) as Msg
    received.push(msg)
    for (const w of [...waiters]) if (w[0](msg)) { waiters.splice(waiters.indexOf(w), 1); w[1](msg) }
  })
  const waitFor = async (p: (m: Msg) => boolean): Promise<Msg> => {
    const seen = received.find(p)
    if (seen !== undefined) return seen
    return await new Promise(resolve => { waiters.push([p, resolve]) })
  }
  let n = 0
  return {
    ws, received, waitFor,
    request: async m => {
      const extra = `w${++n}`
      ws.send(JSON.stringify({ ...m, '@extra': extra }))
      return await waitFor(x => x['@extra'] === extra)
    }
  }
}

t.test('WebSocket: the same protocol, the same policy, one object per message; oversize messages close with 1009', async t => {
  const b = await startBroker({ websocket: { host: '127.0.0.1', port: 0, path: '/tdbroker' }, max_frame_size: 4096, allowed_updates: [] })
  t.teardown(b.stop)
  const url = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/tdbroker`
  const c = await wsClient(url)
  const session = (await c.request({ '@type': 'broker.createSession' })).session as string
  await c.waitFor(m => m['@type'] === 'updateAuthorizationState' && m['@session'] === session)
  t.same(await c.request({ '@type': 'testSquareInt', x: 3, '@session': session }), { '@type': 'testInt', value: 9, '@extra': 'w2', '@session': session })
  t.match((await c.request({ '@type': 'addProxy', '@session': session })).message, /^REQUEST_NOT_ALLOWED: /)
  t.match((await c.request({ '@type': 'broker.nope' })).message, /^UNKNOWN_CONTROL_REQUEST: /)
  // A binary message is read as the same UTF-8 text (one copy fewer than before; non-ASCII kept).
  c.ws.send(Buffer.from(JSON.stringify({ '@type': 'testSquareInt', x: 4, '@session': session, '@extra': 'bin-é' })), { binary: true })
  t.same(await c.waitFor(m => m['@extra'] === 'bin-é'), { '@type': 'testInt', value: 16, '@extra': 'bin-é', '@session': session }, 'a binary message is a request too')
  t.notOk(c.received.some(m => typeof m['@seq'] === 'number' && !['updateAuthorizationState', 'updateConnectionState'].includes(m['@type'] as string)), 'allowed_updates applies')

  const big = await wsClient(url)
  const code = await new Promise<number>(resolve => {
    big.ws.on('close', closeCode => { resolve(closeCode) })
    big.ws.send(JSON.stringify({ '@type': 'broker.ping', pad: 'x'.repeat(5000) }))
  })
  t.equal(code, 1009, 'a message over max_frame_size closes with 1009 (message too big)')
  t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'other connections are unaffected')
  c.ws.close()
})

t.test('WebSocket over HTTPS with client certificates', async t => {
  const dir = tempDir()
  const set = await writeCaFiles(dir, ['ops'])
  const b = await startBroker({
    tls: { host: '127.0.0.1', port: 0, cert: 'server.pem', key: 'server-key.pem', ca: 'ca.pem' },
    websocket: { host: '127.0.0.1', port: 0, tls: true }
  }, { dir })
  t.teardown(b.stop)
  const url = `wss://localhost:${b.broker.addresses.websocket?.port ?? 0}/`
  const c = await wsClient(url, { cert: set.clients[0]!.cert, key: set.clients[0]!.key, ca: set.ca.cert })
  t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'served with a client certificate')
  c.ws.close()
  await t.rejects(wsClient(url, { ca: set.ca.cert }), 'refused without one')
})

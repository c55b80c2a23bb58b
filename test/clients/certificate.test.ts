/**
 * Clients that prove themselves with a TLS client certificate, through the
 * broker's real TLS listener: by subject CN or by fingerprint, no
 * broker.authenticate needed; a verified certificate that names no client
 * still has to authenticate; a reload that no longer matches disconnects.
 */
import t from 'tap'
import tls from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { rmSync } from 'node:fs'
import { generateCaSet } from '../../src/certs/generate.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { tempDir, TEST_ALLOWED_REQUESTS } from '../helpers/broker.js'
import type { Msg } from '../helpers/client.js'
import { errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'
import { writeCaFiles } from '../helpers/certs.js'


interface TlsClient { request: (m: Msg) => Promise<Msg>, next: (pred: (m: Msg) => boolean) => Promise<Msg>, closed: Promise<void>, close: () => void }

async function tlsClient (port: number, opts: tls.ConnectionOptions): Promise<TlsClient> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts })
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
  const received: Msg[] = []
  const waiting: Array<{ pred: (m: Msg) => boolean, resolve: (m: Msg) => void }> = []
  let buffer = ''
  socket.setEncoding('utf8')
  socket.on('error', () => {})
  socket.on('data', (chunk: string) => {
    buffer += chunk
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const msg = JSON.parse(buffer.slice(0, nl)) as Msg
      buffer = buffer.slice(nl + 1)
      received.push(msg)
      for (const w of [...waiting]) if (w.pred(msg)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(msg) }
    }
  })
  const next = async (pred: (m: Msg) => boolean): Promise<Msg> => received.find(pred) ?? await new Promise(resolve => { waiting.push({ pred, resolve }) })
  let n = 0
  return {
    next,
    closed: new Promise<void>(resolve => { socket.on('close', () => { resolve() }) }),
    close: () => { socket.end() },
    request: async m => {
      const extra = `t${++n}`
      socket.write(JSON.stringify({ ...m, '@extra': extra }) + '\n')
      return await next(x => x['@extra'] === extra)
    }
  }
}

t.test('a client certificate identifies its client; one that names no client must still authenticate', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const set = await writeCaFiles(dir, ['backend', 'operator', 'stranger'])
  const [backendCert, operatorCert, strangerCert] = set.clients
  const operatorPrint = new X509Certificate(operatorCert!.cert).fingerprint256
  const strangerKey = await testKey()
  const raw = {
    tls: { host: '127.0.0.1', port: 0, cert: 'server.pem', key: 'server-key.pem', ca: 'ca.pem' },
    clients: [
      { name: 'backend', certificate: { subject_cn: 'backend' } },
      { name: 'operator', certificate: { fingerprint256: operatorPrint.toLowerCase() }, scope: { allowed_requests: ['testSquareInt'], sessions: 'all', may_create_sessions: false } },
      keyClient('keyed', strangerKey)
    ]
  }
  const b = await startBroker(raw, { dir })
  t.teardown(async () => { await b.stop() })
  const port = b.broker.addresses.tls?.port ?? 0
  const connect = async (pair: { cert: string, key: string }): Promise<TlsClient> => await tlsClient(port, { cert: pair.cert, key: pair.key, ca: set.ca.cert })

  const backend = await connect(backendCert!)
  const operator = await connect(operatorCert!)
  const stranger = await connect(strangerCert!)
  t.teardown(() => { backend.close(); operator.close(); stranger.close() })

  const session = (await backend.request({ '@type': 'broker.createSession' })).session as string
  t.match(session, /^\d+$/, 'matched by subject CN: served without broker.authenticate')
  t.equal((await operator.request({ '@type': 'broker.attachSession', session }))['@type'], 'broker.attached', 'matched by fingerprint (any case, with colons)')
  t.equal((await operator.request({ '@type': 'testSquareInt', x: 5, '@session': session })).value, 25)
  t.equal(errorName(await operator.request({ '@type': 'testCallString', x: 'y', '@session': session })), 'REQUEST_NOT_ALLOWED', 'with its own scope')
  t.equal(errorName(await operator.request({ '@type': 'broker.authenticate', name: 'keyed', key: strangerKey.key })), 'INVALID_REQUEST', 'and it cannot switch to another client')

  t.equal(errorName(await stranger.request({ '@type': 'broker.listSessions' })), 'AUTH_REQUIRED', 'a certificate the CA signed but no client names')
  t.equal((await stranger.request({ '@type': 'broker.authenticate', name: 'keyed', key: strangerKey.key }))['@type'], 'broker.authenticated', 'may still authenticate with a key')

  const certOk = b.logs.records.filter(r => r.audit === 'auth.ok' && r.method === 'certificate').map(r => r.client)
  t.same(certOk.sort(), ['backend', 'operator'], 'certificate logins are audited')

  // The operator's certificate is replaced in settings: the connection made with the old one goes.
  const other = await generateCaSet({ clients: ['operator'] })
  const next = settingsFromObject({
    ...raw,
    host: '127.0.0.1', port: 0, tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' }, allowed_requests: TEST_ALLOWED_REQUESTS,
    clients: [raw.clients[0], { ...raw.clients[1], certificate: { fingerprint256: new X509Certificate(other.clients[0]!.cert).fingerprint256 } }, raw.clients[2]]
  }, dir)
  const summary = b.broker.reloadClients(next)
  t.equal(summary.closed, 1)
  const notice = await operator.next(m => m['@type'] === 'broker.clientRevoked')
  t.match(notice.reason, /the certificate of client operator no longer matches/)
  await operator.closed
  t.equal((await backend.request({ '@type': 'testSquareInt', x: 2, '@session': session })).value, 4, 'the backend is untouched')
})

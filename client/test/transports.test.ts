/**
 * The client's transports and credentials against the real broker: TLS with a
 * pinned self-signed certificate and with a CA, wrong certificates refused,
 * WebSocket (ws:// and wss://), and authentication with a client key.
 */
import { X509Certificate } from 'node:crypto'
import t from 'tap'
import { generateCaSet, generateSelfSigned } from '../../src/certs/generate.js'
import { startBroker, tempDir } from '../../test/helpers/broker.js'
import { keyClient, testKey } from '../../test/helpers/clients.js'
import { TdError, connect, type BrokerClient } from '../src/index.js'
import { LOCAL_NAMES, writeSelfSignedPair, writeCaFiles } from '../../test/helpers/certs.js'


async function squares (client: BrokerClient): Promise<number> {
  const session = await client.createSession()
  return (await session.invoke({ '@type': 'testSquareInt', x: 7 })).value
}

/** A client that must not get through: connecting fails, or the first request does. */
async function refused (url: string, tls: Record<string, string>): Promise<string> {
  try {
    const client = await connect({ url, tls, reconnect: false, requestTimeoutMs: 5000 })
    try { await client.ping(); return 'served' } finally { client.close() }
  } catch (e) {
    return (e as Error).name
  }
}

t.test("TLS, siptg's model: a pinned self-signed certificate, by fingerprint or as the CA", async t => {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const stranger = await generateSelfSigned({ altNames: LOCAL_NAMES })
  const b = await startBroker({ tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' } }, { dir })
  t.teardown(b.stop)
  const url = `tls://127.0.0.1:${b.broker.addresses.tls?.port ?? 0}`
  const fingerprint256 = new X509Certificate(pair.cert).fingerprint256

  const pinned = await connect({ url, tls: { fingerprint256, cert: pair.cert, key: pair.key } })
  t.equal(await squares(pinned), 49, 'pinned by fingerprint (no CA, any name)')
  pinned.close()
  const asCa = await connect({ url, tls: { ca: pair.cert, cert: pair.cert, key: pair.key, servername: 'localhost' } })
  t.equal(await squares(asCa), 49, 'the certificate as its own CA')
  asCa.close()

  const wrongPin = new X509Certificate(stranger.cert).fingerprint256
  t.not(await refused(url, { fingerprint256: wrongPin, cert: pair.cert, key: pair.key }), 'served', 'another pinned fingerprint: refused by the client')
  t.not(await refused(url, { ca: pair.cert, cert: stranger.cert, key: stranger.key, servername: 'localhost' }), 'served', 'another client certificate: refused by the broker')
  t.not(await refused(url, { ca: stranger.cert, cert: pair.cert, key: pair.key, servername: 'localhost' }), 'served', 'a server certificate the CA did not sign: refused')
})

t.test('TLS with a CA and per-client certificates; wss:// with the same', async t => {
  const dir = tempDir()
  const set = await writeCaFiles(dir, ['backend'])
  const other = await generateCaSet({ serverAltNames: LOCAL_NAMES, clients: ['intruder'] })
  const b = await startBroker({
    tls: { host: '127.0.0.1', port: 0, cert: 'server.pem', key: 'server-key.pem', ca: 'ca.pem' },
    websocket: { host: '127.0.0.1', port: 0, tls: true }
  }, { dir })
  t.teardown(b.stop)
  const client = set.clients[0]
  if (client === undefined) throw new Error('no client certificate')
  const creds = { ca: set.ca.cert, cert: client.cert, key: client.key, servername: 'localhost' }
  const overTls = await connect({ url: `tls://127.0.0.1:${b.broker.addresses.tls?.port ?? 0}`, tls: creds })
  t.equal(await squares(overTls), 49, 'tls:// with a CA')
  overTls.close()
  const wss = `wss://localhost:${b.broker.addresses.websocket?.port ?? 0}/`
  const overWss = await connect({ url: wss, tls: creds })
  t.equal(await squares(overWss), 49, 'wss:// with a CA and a client certificate')
  overWss.close()
  const intruder = other.clients[0]
  if (intruder === undefined) throw new Error('no client certificate')
  t.not(await refused(`tls://127.0.0.1:${b.broker.addresses.tls?.port ?? 0}`, { ca: set.ca.cert, cert: intruder.cert, key: intruder.key, servername: 'localhost' }), 'served', 'a certificate from another CA: refused')
})

t.test('ws:// and a client key', async t => {
  const key = await testKey()
  const b = await startBroker({ websocket: { host: '127.0.0.1', port: 0, path: '/tdbroker' }, clients: [keyClient('backend', key)] })
  t.teardown(b.stop)
  const ws = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/tdbroker`
  const authed = await connect({ url: ws, auth: { name: 'backend', key: key.key } })
  t.equal(await squares(authed), 49, 'ws:// authenticated with a key')
  authed.close()
  const tcp = await connect({ url: `tcp://127.0.0.1:${b.port}`, auth: { name: 'backend', key: key.key } })
  t.equal(await squares(tcp), 49, 'tcp:// authenticated with a key')
  tcp.close()
  const wrong = await connect({ url: `tcp://127.0.0.1:${b.port}`, auth: { name: 'backend', key: 'tdbk_wrong' }, reconnect: false }).catch((e: unknown) => e)
  t.ok(wrong instanceof TdError, 'a wrong key fails connect()')
  t.equal((wrong as TdError).brokerError, 'AUTH_FAILED')
  const anonymous = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  const refusedCreate = await anonymous.createSession().catch((e: unknown) => e)
  t.match(refusedCreate, { brokerError: 'AUTH_REQUIRED' }, 'no key: AUTH_REQUIRED')
  anonymous.close()
})

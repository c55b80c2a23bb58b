import { once } from 'node:events'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { generateCaSet, generateSelfSigned } from '../../src/certs/generate.js'
import { CertificateStore, type LoadedCertificates } from '../../src/certs/store.js'
import { writePemFiles, type PemFile } from '../../src/certs/write.js'
import { openClient, roundTrip, startEchoServer, tlsSettings } from '../fixtures/certs/tls-helpers.js'

const fp = (pem: string): string => new X509Certificate(pem).fingerprint256

function listenerFiles (set: { ca: { cert: string }, server: { cert: string, key: string } }): PemFile[] {
  return [
    { name: 'server.pem', contents: set.server.cert, secret: false },
    { name: 'server-key.pem', contents: set.server.key, secret: true },
    { name: 'ca.pem', contents: set.ca.cert, secret: false },
  ]
}

const altNames = [{ type: 'ip' as const, value: '127.0.0.1' }]

t.test('rotation to a new CA: old connections stay, new handshakes use the new certificate', async t => {
  const dir = t.testdir()
  const a = await generateCaSet({ serverAltNames: altNames, clients: ['sip'] })
  const b = await generateCaSet({ serverAltNames: altNames, clients: ['sip'] })
  const aClient = a.clients[0]!
  const bClient = b.clients[0]!
  await writePemFiles(dir, listenerFiles(a))

  const store = await CertificateStore.open(tlsSettings(dir), { watch: false })
  t.teardown(() => store.close())
  const echo = await startEchoServer(store.serverOptions())
  t.teardown(echo.close)
  store.attach(echo.server)

  const before = await openClient(echo.port, { ca: a.ca.cert, cert: aClient.cert, key: aClient.key })
  t.equal(before.serverFingerprint, fp(a.server.cert), 'the first handshake sees server certificate A')
  t.equal(await before.echo('one'), 'one', 'round trip before the rotation')

  await writePemFiles(dir, listenerFiles(b), { force: true })
  const reloaded = once(store, 'reloaded')
  const loaded = await store.reload()
  t.equal(loaded.certificate.fingerprint256, fp(b.server.cert), 'reload() returns the new generation')
  t.equal((await reloaded)[0], loaded, 'and announces it')

  t.equal(await before.echo('two'), 'two', 'the connection made before the rotation still works')

  const after = await roundTrip(echo.port, { ca: b.ca.cert, cert: bClient.cert, key: bClient.key })
  t.equal(after.serverFingerprint, fp(b.server.cert), 'a new handshake sees server certificate B')
  t.equal(after.received, 'ping\n', 'a client of CA B gets through')

  // wait for the server's side of each refused handshake too, so the next one starts clean
  const clientGaveUp = once(echo.server, 'tlsClientError')
  const pinnedOld = await roundTrip(echo.port, { ca: a.ca.cert, cert: aClient.cert, key: aClient.key })
  await clientGaveUp
  t.equal(pinnedOld.secureConnect, false, 'a client that trusts only CA A refuses server certificate B')
  // the server sends CA B along with its certificate (OpenSSL builds the chain from tls.ca)
  t.equal(pinnedOld.error?.code, 'SELF_SIGNED_CERT_IN_CHAIN', 'the client sees a chain to an unknown CA')

  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    t.test(`${maxVersion}: a client certificate from the old CA is refused`, async t => {
      const accepted = echo.accepted
      const serverSaw = once(echo.server, 'tlsClientError')
      const got = await roundTrip(echo.port, { ca: b.ca.cert, cert: aClient.cert, key: aClient.key, maxVersion })
      await serverSaw
      t.equal(got.received, '', 'no data flows')
      t.equal(echo.accepted, accepted, 'the server never accepted the connection')
      t.equal(echo.rejected.at(-1)?.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'the server recorded why')
    })
    t.test(`${maxVersion}: a client without a certificate is refused`, async t => {
      const accepted = echo.accepted
      const serverSaw = once(echo.server, 'tlsClientError')
      const got = await roundTrip(echo.port, { ca: b.ca.cert, maxVersion })
      const [serverError] = await serverSaw as [NodeJS.ErrnoException]
      t.equal(got.received, '', 'no data flows')
      t.equal(echo.accepted, accepted, 'the server never accepted the connection')
      t.equal(serverError.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE')
      t.match(got.error?.code, maxVersion === 'TLSv1.3'
        ? 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'
        : 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'the client is told by an alert')
    })
  }
  before.socket.destroy()
})

t.test('a broken file during rotation keeps the old certificate in use', async t => {
  const dir = t.testdir()
  const a = await generateCaSet({ serverAltNames: altNames, clients: ['sip'] })
  const b = await generateCaSet({ serverAltNames: altNames, clients: ['sip'] })
  await writePemFiles(dir, listenerFiles(a))
  const store = await CertificateStore.open(tlsSettings(dir), { watch: false })
  t.teardown(() => store.close())
  const echo = await startEchoServer(store.serverOptions())
  t.teardown(echo.close)
  store.attach(echo.server)

  // half a rotation: the new certificate is there, its key is not yet
  await writePemFiles(dir, [{ name: 'server.pem', contents: b.server.cert, secret: false }], { force: true })
  const failed = once(store, 'reloadFailed')
  await t.rejects(store.reload(), { code: 'CERT_KEY_MISMATCH' })
  t.equal(((await failed)[0] as { code: string }).code, 'CERT_KEY_MISMATCH', 'reloadFailed reports it')
  t.equal(store.current.certificate.fingerprint256, fp(a.server.cert), 'the store keeps generation A')

  const got = await roundTrip(echo.port, { ca: a.ca.cert, cert: a.clients[0]!.cert, key: a.clients[0]!.key })
  t.equal(got.serverFingerprint, fp(a.server.cert), 'new handshakes still get certificate A')
  t.equal(got.received, 'ping\n')
})

t.test('a change to the files reloads by itself', async t => {
  const dir = t.testdir()
  const a = await generateCaSet({ serverAltNames: altNames, clients: ['sip'] })
  const b = await generateCaSet({ serverAltNames: altNames, clients: ['sip'] })
  await writePemFiles(dir, listenerFiles(a))
  const store = await CertificateStore.open(tlsSettings(dir), { debounceMs: 50 })
  t.teardown(() => store.close())
  const echo = await startEchoServer(store.serverOptions())
  t.teardown(echo.close)
  store.attach(echo.server)

  // under load the watcher may catch the files half-written and reload more
  // than once; wait for the generation that has all of B
  const reloadedToB = new Promise<LoadedCertificates>(resolve => {
    store.on('reloaded', l => {
      if (l.certificate.fingerprint256 === fp(b.server.cert) && l.ca[0]?.fingerprint256 === fp(b.ca.cert)) resolve(l)
    })
  })
  await writePemFiles(dir, listenerFiles(b), { force: true })
  const loaded = await reloadedToB
  t.equal(store.current, loaded, 'the watcher loaded certificate B and CA B')
  const got = await roundTrip(echo.port, { ca: b.ca.cert, cert: b.clients[0]!.cert, key: b.clients[0]!.key })
  t.equal(got.serverFingerprint, fp(b.server.cert), 'and the server uses it')
  t.equal(got.received, 'ping\n')
})

t.test('siptg model: one self-signed cert.pem is server certificate and the only client certificate', async t => {
  const dir = t.testdir()
  const pair = await generateSelfSigned({ altNames: [{ type: 'dns', value: 'localhost' }, ...altNames] })
  const stranger = await generateSelfSigned({ altNames })
  await writePemFiles(dir, [
    { name: 'cert.pem', contents: pair.cert, secret: false },
    { name: 'key.pem', contents: pair.key, secret: true },
  ])
  const cert = join(dir, 'cert.pem')
  const store = await CertificateStore.open(tlsSettings(dir, { cert, key: join(dir, 'key.pem'), ca: cert }), { watch: false })
  t.teardown(() => store.close())
  const echo = await startEchoServer(store.serverOptions())
  t.teardown(echo.close)

  const ok = await roundTrip(echo.port, { ca: pair.cert, cert: pair.cert, key: pair.key })
  t.equal(ok.serverFingerprint, fp(pair.cert), 'the client sees the shared certificate')
  t.equal(ok.received, 'ping\n', 'the holder of cert.pem/key.pem gets through')

  const byName = await roundTrip(echo.port, { ca: pair.cert, cert: pair.cert, key: pair.key, servername: 'localhost' })
  t.equal(byName.received, 'ping\n', 'also when connecting by the DNS name in the certificate')

  const serverSaw = once(echo.server, 'tlsClientError')
  const refused = await roundTrip(echo.port, { ca: pair.cert, cert: stranger.cert, key: stranger.key })
  await serverSaw
  t.equal(refused.received, '', 'another self-signed certificate gets no data through')
  t.equal(echo.rejected.at(-1)?.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'the server refused it')

  const noCert = await roundTrip(echo.port, { ca: pair.cert })
  t.equal(noCert.received, '', 'no certificate, no data')
  t.equal(noCert.error?.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
})

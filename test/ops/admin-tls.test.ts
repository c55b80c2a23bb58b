/**
 * admin.tls: the admin listener serves HTTPS with the tls section's
 * certificate, checked here by a real https request that pins it; it asks
 * no client certificate even when the broker's TLS listener requires them.
 */
import https from 'node:https'
import { rmSync } from 'node:fs'
import t from 'tap'
import { generateSelfSigned } from '../../src/certs/generate.js'
import { startBroker, tempDir } from '../helpers/broker.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { writeSelfSignedPair, LOCAL_NAMES } from '../helpers/certs.js'

const TOKEN = 'tls-admin-token-0123456789'

/** GET over HTTPS trusting only `ca`; resolves with the status, body and the certificate the server showed. */
async function httpsGet (port: number, path: string, ca: string, token?: string): Promise<{ status: number, body: string, fingerprint: string }> {
  return await new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, servername: 'localhost', ca, timeout: 10_000, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, res => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, fingerprint }) })
    })
    req.on('timeout', () => { req.destroy(new Error('timed out')) })
    req.on('error', reject)
  })
}

t.test('admin.tls serves /readyz, /metrics and /status.json over HTTPS with the broker\'s certificate', async t => {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const stranger = await generateSelfSigned({ altNames: LOCAL_NAMES })
  // verify_clients defaults to true with a ca: the broker's TLS listener wants client certificates, the admin one does not.
  const b = await startBroker({
    tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' },
    admin: { host: '127.0.0.1', port: 0, token: TOKEN, tls: true }
  }, { dir })
  t.teardown(async () => { await b.stop(); rmSync(dir, { recursive: true, force: true }) })
  const port = b.broker.addresses.admin!.port

  const ready = await httpsGet(port, '/readyz', pair.cert, TOKEN)
  t.equal(ready.status, 200, 'HTTPS with the pinned certificate, no client certificate')
  t.match(JSON.parse(ready.body), { status: 'ready' })
  const metrics = await httpsGet(port, '/metrics', pair.cert, TOKEN)
  t.match(metrics.body, /^tdbroker_certificate_expiry_seconds \d+$/m, 'metrics over HTTPS, certificate expiry included')
  const status = JSON.parse((await httpsGet(port, '/status.json', pair.cert, TOKEN)).body)
  t.match(status.certificate, { subject: 'CN=tdbroker' }, 'the status shows the certificate')
  t.ok(status.certificate.seconds_left > 360 * 86400, 'and its expiry about a year away')
  t.equal((await httpsGet(port, '/metrics', pair.cert)).status, 401, 'the token is still needed')

  await t.rejects(httpsGet(port, '/healthz', stranger.cert), /self-signed|unable to verify|certificate/i, 'a client pinning another certificate refuses the server')
  const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then(r => r.status, (e: Error) => e.message)
  t.not(plain, 200, 'plain HTTP gets no answer from the HTTPS listener')
})

t.test('admin.tls without a tls section is a settings error', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  t.throws(() => settingsFromObject({ admin: { port: 0, tls: true } }, dir), /admin\/tls is true, and HTTPS takes its certificate and key from the tls section/)
})

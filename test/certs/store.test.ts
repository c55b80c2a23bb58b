import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { generateCaSet, generateSelfSigned } from '../../src/certs/generate.js'
import { CertificateStore } from '../../src/certs/store.js'
import { tlsSettings } from '../fixtures/certs/tls-helpers.js'

const DAY = 86_400_000
const ago = (days: number): Date => new Date(Date.now() - days * DAY)

/** Fixture for t.testdir(): server.pem, server-key.pem and ca.pem from a fresh CA set, plus extras. */
async function listenerFiles (opts: { days?: number, notBefore?: Date } = {}, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const set = await generateCaSet({ clients: ['c'], ...opts })
  return { 'server.pem': set.server.cert, 'server-key.pem': set.server.key, 'ca.pem': set.ca.cert, ...extra }
}

t.test('a good set loads: context, options for the server, no warnings', async t => {
  const dir = t.testdir(await listenerFiles())
  const store = await CertificateStore.open(tlsSettings(dir), { watch: false })
  t.teardown(() => store.close())
  t.equal(store.state, 'open')
  t.same(store.warnings, [])
  t.equal(store.current.certificate.subject, 'CN=tdbroker')
  t.equal(store.current.ca.length, 1)
  t.ok(store.secureContext.context, 'a real SecureContext')
  const opts = store.serverOptions()
  t.match(opts, { requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' })
  t.match(String(opts.ca), /BEGIN CERTIFICATE/)
  t.same(Object.keys(store.secureContextOptions).sort(), ['ca', 'cert', 'key', 'minVersion'],
    'secureContextOptions is what Server.setSecureContext() takes')
})

t.test('an expired certificate is refused unless allow_expired', async t => {
  const dir = t.testdir(await listenerFiles({ notBefore: ago(10), days: 5 }))
  const s = tlsSettings(dir)
  await t.rejects(CertificateStore.open(s, { watch: false }), {
    code: 'CERT_EXPIRED',
    path: s.cert,
    message: new RegExp(`the certificate in ${s.cert} \\(CN=tdbroker\\) expired on .*set tls.allow_expired to start anyway`),
  })
  const store = await CertificateStore.open({ ...s, allow_expired: true }, { watch: false })
  t.teardown(() => store.close())
  t.match(store.warnings, [/expired on .*tls.allow_expired is set/], 'allowed, with a warning for the server certificate')
  t.match(store.warnings, [String, /CA certificate CN=tdbroker CA \w+ in .*ca.pem expired on .*certificates it signed are refused/],
    'and one for the expired CA')
})

t.test('a certificate expiring within expiry_warning_days loads with a warning', async t => {
  const dir = t.testdir(await listenerFiles({ days: 10 }))
  const store = await CertificateStore.open(tlsSettings(dir, { expiry_warning_days: 30 }), { watch: false })
  t.teardown(() => store.close())
  t.equal(store.warnings.length, 2, 'server certificate and CA both expire soon')
  t.match(store.warnings[0], /^certificate CN=tdbroker in .*server.pem expires on \S+ \(10 days left\)$/)
  t.match(store.warnings[1], /^CA certificate CN=tdbroker CA \w+ in .*ca.pem expires on/)

  const quiet = await CertificateStore.open(tlsSettings(dir, { expiry_warning_days: 9 }), { watch: false })
  t.teardown(() => quiet.close())
  t.same(quiet.warnings, [], 'no warning outside the window')
})

t.test('a key that does not belong to the certificate: clear error', async t => {
  const other = await generateSelfSigned()
  const dir = t.testdir(await listenerFiles({}, { 'other-key.pem': other.key }))
  const s = tlsSettings(dir, { key: join(dir, 'other-key.pem') })
  await t.rejects(CertificateStore.open(s, { watch: false }), {
    code: 'CERT_KEY_MISMATCH',
    message: new RegExp(`the key in ${s.key} does not belong to the certificate in ${s.cert} \\(CN=tdbroker, [0-9A-F:]+\\); replace both files together`),
  })
})

t.test('missing, swapped and absent files are named in the error', async t => {
  const dir = t.testdir(await listenerFiles())
  await t.rejects(CertificateStore.open(tlsSettings(dir, { key: join(dir, 'gone.pem') }), { watch: false }), {
    code: 'CERT_FILE_MISSING', message: `CERT_FILE_MISSING: key file (tls.key) ${join(dir, 'gone.pem')} does not exist`,
  })
  await t.rejects(CertificateStore.open(tlsSettings(dir, { cert: join(dir, 'server-key.pem'), key: join(dir, 'server.pem') }), { watch: false }), {
    code: 'CERT_NOT_A_CERTIFICATE', message: /are the cert and key paths swapped/,
  })
  await t.rejects(CertificateStore.open(tlsSettings(dir, { ca: undefined }), { watch: false }), {
    code: 'CERT_CA_REQUIRED', message: /tls.verify_clients is on but tls.ca is not set/,
  })
  const open = await CertificateStore.open(tlsSettings(dir, { ca: undefined, verify_clients: false }), { watch: false })
  t.teardown(() => open.close())
  t.match(open.serverOptions(), { requestCert: false, rejectUnauthorized: false }, 'without verify_clients no CA is needed')
  t.equal(open.secureContextOptions.ca, undefined)
})

t.test('close() is idempotent and ends reloads', async t => {
  const dir = t.testdir(await listenerFiles())
  const store = await CertificateStore.open(tlsSettings(dir), { debounceMs: 10 })
  store.close()
  store.close()
  t.equal(store.state, 'closed')
  await t.rejects(store.reload(), { code: 'CERT_STORE_CLOSED' })
  t.throws(() => store.attach({} as never), { code: 'CERT_STORE_CLOSED' })
})

t.test('a failed reload keeps the generation and a later good one replaces it', async t => {
  const dir = t.testdir(await listenerFiles())
  const store = await CertificateStore.open(tlsSettings(dir), { watch: false })
  t.teardown(() => store.close())
  const first = store.current
  const broken = tlsSettings(dir)
  writeFileSync(broken.cert, 'not a certificate')
  await t.rejects(store.reload(), { code: 'CERT_NOT_A_CERTIFICATE' })
  t.equal(store.current, first, 'still the first generation')
  const next = await generateCaSet({ clients: ['c'] })
  writeFileSync(broken.cert, next.server.cert)
  writeFileSync(broken.key, next.server.key)
  const loaded = await store.reload()
  t.not(loaded, first)
  t.equal(store.current, loaded, 'the good reload is in use')
})

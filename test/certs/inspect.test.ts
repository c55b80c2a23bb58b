import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { generateCaSet, generateSelfSigned } from '../../src/certs/generate.js'
import { expiresWithin, inspectCertificateFile } from '../../src/certs/inspect.js'

const DAY = 86_400_000

function hasOpenssl (): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

t.test('a certificate file: names, serial, validity, fingerprint', async t => {
  const pair = await generateSelfSigned({ commonName: 'edge', altNames: [{ type: 'dns', value: 'localhost' }] })
  const dir = t.testdir({ 'cert.pem': pair.cert })
  const file = join(dir, 'cert.pem')
  const x509 = new X509Certificate(pair.cert)
  const [info, ...more] = await inspectCertificateFile(file, new Date(new Date(x509.validTo).getTime() - 265 * DAY))
  t.equal(more.length, 0, 'one certificate')
  t.equal(info?.subject, 'CN=edge')
  t.equal(info?.issuer, 'CN=edge')
  t.same(info?.subjectAltNames, ['DNS:localhost'])
  t.equal(info?.serialNumber, x509.serialNumber.toUpperCase())
  t.equal(info?.fingerprint256, x509.fingerprint256)
  t.match(info?.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'colon hex')
  t.equal(info?.notAfter.toISOString(), new Date(x509.validTo).toISOString())
  t.equal(info?.daysLeft, 265, 'days left from the clock given')
  t.equal(info?.expired, false)
  t.equal(info?.pem.trim(), pair.cert.trim())
})

t.test('the fingerprint is the one openssl prints', { skip: hasOpenssl() ? false : 'openssl is not installed' }, async t => {
  const pair = await generateSelfSigned()
  const dir = t.testdir({ 'cert.pem': pair.cert })
  const file = join(dir, 'cert.pem')
  const printed = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
  const [info] = await inspectCertificateFile(file)
  t.equal(`sha256 Fingerprint=${info?.fingerprint256}`.toLowerCase(), printed.trim().toLowerCase())
})

t.test('a bundle gives every certificate in order; CAs are marked', async t => {
  const set = await generateCaSet({ clients: ['a'] })
  const dir = t.testdir({ 'chain.pem': set.server.cert + set.ca.cert })
  const infos = await inspectCertificateFile(join(dir, 'chain.pem'))
  t.same(infos.map(i => i.isCA), [false, true])
  t.same(infos.map(i => i.selfSigned), [false, true])
  t.equal(infos[0]?.issuer, infos[1]?.subject)
})

t.test('expiry: expired, expiring and the boundary of expiresWithin', async t => {
  const pair = await generateSelfSigned({ notBefore: new Date(Date.now() - 10 * DAY), days: 5 })
  const dir = t.testdir({ 'old.pem': pair.cert })
  const [info] = await inspectCertificateFile(join(dir, 'old.pem'))
  t.equal(info?.expired, true)
  t.equal(info!.daysLeft, -5, 'minus the whole days since expiry')
  const fresh = (await inspectCertificateFile(join(t.testdir({ 'c.pem': (await generateSelfSigned({ days: 30 })).cert }), 'c.pem')))[0]!
  const now = new Date(fresh.notAfter.getTime() - 30 * DAY)
  t.equal(expiresWithin(fresh, 30, now), true, 'exactly 30 days left is within 30 days')
  t.equal(expiresWithin(fresh, 29, now), false)
})

t.test('clear errors that name the file and the problem', async t => {
  const pair = await generateSelfSigned()
  const dir = t.testdir({
    'key.pem': pair.key,
    'empty.pem': '',
    'junk.txt': 'hello\n',
    'broken.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    sub: {},
  })
  const p = (n: string): string => join(dir, n)
  await t.rejects(inspectCertificateFile(p('nope.pem')),
    { code: 'CERT_FILE_MISSING', path: p('nope.pem'), message: `CERT_FILE_MISSING: certificate file ${p('nope.pem')} does not exist` })
  await t.rejects(inspectCertificateFile(p('sub')), { code: 'CERT_FILE_UNREADABLE', message: /directory, not a file/ })
  await t.rejects(inspectCertificateFile(p('key.pem')),
    { code: 'CERT_NOT_A_CERTIFICATE', message: new RegExp(`${p('key.pem')} is not a PEM certificate: it holds a private key`) })
  await t.rejects(inspectCertificateFile(p('empty.pem')), { code: 'CERT_NOT_A_CERTIFICATE', message: /it is empty/ })
  await t.rejects(inspectCertificateFile(p('junk.txt')), { code: 'CERT_NOT_A_CERTIFICATE', message: /no "-----BEGIN CERTIFICATE-----" block/ })
  await t.rejects(inspectCertificateFile(p('broken.pem')),
    { code: 'CERT_INVALID', message: new RegExp(`${p('broken.pem')} is not a valid X.509 certificate`) })

  if (process.getuid?.() === 0) {
    t.comment('running as root: an unreadable file cannot be simulated with chmod')
  } else {
    writeFileSync(p('locked.pem'), pair.cert)
    chmodSync(p('locked.pem'), 0)
    await t.rejects(inspectCertificateFile(p('locked.pem')), { code: 'CERT_FILE_UNREADABLE', message: /permission denied/ })
  }
})

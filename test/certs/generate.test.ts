import { X509Certificate, createPrivateKey } from 'node:crypto'
import forge from 'node-forge'
import t from 'tap'
import { CertError } from '../../src/certs/errors.js'
import { generateCaSet, generateSelfSigned, parseAltNames } from '../../src/certs/generate.js'
import { parseCertificates } from '../../src/certs/inspect.js'

const DAY = 86_400_000

function extension (pem: string, name: string): Record<string, unknown> | undefined {
  return forge.pki.certificateFromPem(pem).getExtension(name) as Record<string, unknown> | undefined
}

t.test('single pair (siptg model): one certificate for server and client', async t => {
  const pair = await generateSelfSigned({
    altNames: [{ type: 'dns', value: 'broker.example.org' }, { type: 'ip', value: '127.0.0.1' }],
  })
  const [info] = parseCertificates(pair.cert)
  const x509 = new X509Certificate(pair.cert)
  t.equal(info?.subject, 'CN=tdbroker', 'default CN')
  t.equal(info?.issuer, 'CN=tdbroker', 'self-issued')
  t.equal(info?.selfSigned, true)
  t.equal(info?.isCA, false)
  t.same(info?.subjectAltNames, ['DNS:broker.example.org', 'IP:127.0.0.1'])
  t.equal(info?.fingerprint256, x509.fingerprint256, 'fingerprint as node:crypto computes it')
  t.equal(info?.daysLeft, 365, 'valid for 365 days by default')
  t.ok(info!.notBefore.getTime() < Date.now(), 'already valid')

  t.match(extension(pair.cert, 'keyUsage'), {
    critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: false,
  }, 'keyUsage digitalSignature + keyEncipherment')
  t.match(extension(pair.cert, 'extKeyUsage'), { serverAuth: true, clientAuth: true }, 'server and client use')
  t.same(x509.keyUsage.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])

  const key = createPrivateKey(pair.key)
  t.equal(key.asymmetricKeyType, 'rsa')
  t.equal(key.asymmetricKeyDetails?.modulusLength, 2048, 'RSA 2048')
  t.ok(x509.checkPrivateKey(key), 'the key belongs to the certificate')
})

t.test('single pair with a chosen CN, validity and no SANs', async t => {
  const notBefore = new Date(Date.UTC(2030, 0, 1))
  const pair = await generateSelfSigned({ commonName: 'gateway-7', days: 30, notBefore })
  const [info] = parseCertificates(pair.cert, 'x', new Date(Date.UTC(2030, 0, 11)))
  t.equal(info?.subject, 'CN=gateway-7')
  t.same(info?.subjectAltNames, [])
  t.equal(info?.notBefore.getTime(), notBefore.getTime())
  t.equal(info?.notAfter.getTime(), notBefore.getTime() + 30 * DAY)
  t.equal(info?.daysLeft, 20, 'days left counted from the given clock')
  t.equal(extension(pair.cert, 'subjectAltName') ?? 'absent', 'absent', 'no empty subjectAltName extension')
})

t.test('CA set: CA, server and clients chain correctly', async t => {
  const set = await generateCaSet({
    serverAltNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '::1' }],
    clients: ['siptg', 'backup-node'],
  })
  const ca = new X509Certificate(set.ca.cert)
  const server = new X509Certificate(set.server.cert)
  t.equal(ca.ca, true, 'the CA is a CA')
  t.match(ca.subject, /^CN=tdbroker CA [0-9a-f]{8}$/, 'the CA has a name of its own')
  t.match(extension(set.ca.cert, 'basicConstraints'), { cA: true, pathLenConstraint: 0, critical: true })
  t.match(extension(set.ca.cert, 'keyUsage'), { keyCertSign: true })
  t.ok(ca.checkPrivateKey(createPrivateKey(set.ca.key)))

  t.equal(server.ca, false)
  t.equal(server.subject, 'CN=tdbroker')
  t.equal(server.issuer, ca.subject)
  t.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'the CA signed the server certificate')
  t.equal(server.subjectAltName, 'DNS:localhost, IP Address:0:0:0:0:0:0:0:1')
  t.same(server.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only')
  t.ok(server.checkPrivateKey(createPrivateKey(set.server.key)))

  t.same(set.clients.map(c => c.name), ['siptg', 'backup-node'])
  for (const c of set.clients) {
    const x = new X509Certificate(c.cert)
    t.equal(x.subject, `CN=${c.name}`, `client ${c.name} has CN = its name`)
    t.ok(x.checkIssued(ca) && x.verify(ca.publicKey), `the CA signed ${c.name}`)
    t.same(x.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth only')
    t.ok(x.checkPrivateKey(createPrivateKey(c.key)))
  }
  t.not(set.clients[0]?.key, set.clients[1]?.key, 'every client has its own key')
  t.not(ca.serialNumber, server.serialNumber, 'serials are random')
})

t.test('parseAltNames reads openssl-style lists', async t => {
  t.same(parseAltNames('DNS:example.org, IP:10.0.0.1,ip:::1, localhost, 192.168.1.2'), [
    { type: 'dns', value: 'example.org' },
    { type: 'ip', value: '10.0.0.1' },
    { type: 'ip', value: '::1' },
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '192.168.1.2' },
  ])
  t.same(parseAltNames('DNS:*.example.org'), [{ type: 'dns', value: '*.example.org' }], 'wildcards')
  t.throws(() => parseAltNames('URI:http://x'), { code: 'CERT_BAD_OPTION', message: /must start with DNS: or IP:/ })
  t.throws(() => parseAltNames('IP:300.1.1.1'), { code: 'CERT_BAD_OPTION', message: /"300.1.1.1" is not a valid IP address/ })
  t.throws(() => parseAltNames('DNS:bad host'), { code: 'CERT_BAD_OPTION', message: /not a valid DNS name/ })
})

t.test('bad options are refused with CERT_BAD_OPTION before any work', async t => {
  await t.rejects(generateSelfSigned({ days: 0 }), { code: 'CERT_BAD_OPTION', message: /validity of 0 days/ })
  await t.rejects(generateSelfSigned({ days: 1.5 }), { code: 'CERT_BAD_OPTION' })
  await t.rejects(generateSelfSigned({ commonName: '' }), { code: 'CERT_BAD_OPTION', message: /common name/ })
  await t.rejects(generateSelfSigned({ keyBits: 1024 }), { code: 'CERT_BAD_OPTION', message: /RSA key size 1024/ })
  await t.rejects(generateCaSet({ clients: ['../evil'] }), { code: 'CERT_BAD_OPTION', message: /client name "..\/evil"/ })
  await t.rejects(generateCaSet({ clients: ['a', 'a'] }), { code: 'CERT_BAD_OPTION', message: /given twice/ })
  const e = await generateSelfSigned({ days: -1 }).catch((e: unknown) => e)
  t.type(e, CertError, 'a CertError instance')
})

import { X509Certificate } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { generateSelfSigned } from '../../src/certs/generate.js'
import { certCommand } from '../../src/cli/cert.js'

const DAY = 86_400_000

async function run (...args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await certCommand(args, l => out.push(l), l => err.push(l))
  return { code, out, err }
}

t.test('cert create writes a siptg-style pair; show prints it', async t => {
  const dir = t.testdir()
  const made = await run('create', '--dir', dir, '--cn', 'gw', '--san', 'DNS:gw.example.org,IP:192.0.2.7', '--days', '90')
  t.equal(made.code, 0)
  t.same(made.out.slice(0, 2), [`wrote ${join(dir, 'cert.pem')}`, `wrote ${join(dir, 'key.pem')}`])
  const x509 = new X509Certificate(readFileSync(join(dir, 'cert.pem')))
  t.equal(x509.subject, 'CN=gw')
  t.equal(x509.subjectAltName, 'DNS:gw.example.org, IP Address:192.0.2.7')

  const shown = await run('show', join(dir, 'cert.pem'))
  t.equal(shown.code, 0)
  const text = shown.out.join('\n')
  t.match(text, /^subject: +CN=gw$/m)
  t.match(text, /^issuer: +CN=gw \(self-signed\)$/m)
  t.match(text, /^names: +DNS:gw.example.org, IP:192.0.2.7$/m)
  t.match(text, new RegExp(`^sha256: +${x509.fingerprint256}$`, 'm'))
  t.match(text, /^days left: +90$/m)

  const again = await run('create', '--dir', dir)
  t.equal(again.code, 1, 'an existing pair is kept')
  t.match(again.err[0], /CERT_FILE_EXISTS: refusing to overwrite .*cert.pem, .*key.pem; move them away or pass --force/)
  t.equal((await run('create', '--dir', dir, '--force')).code, 0, '--force replaces it')
  t.not(new X509Certificate(readFileSync(join(dir, 'cert.pem'))).fingerprint256, x509.fingerprint256)
})

t.test('cert create defaults to localhost names', async t => {
  const dir = t.testdir()
  t.equal((await run('create', '--dir', dir)).code, 0)
  const x509 = new X509Certificate(readFileSync(join(dir, 'cert.pem')))
  t.equal(x509.subject, 'CN=tdbroker')
  t.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
})

t.test('cert create-ca writes CA, server and client files', async t => {
  const dir = t.testdir()
  const made = await run('create-ca', '--dir', dir, '--server-san', 'DNS:broker', '--client', 'siptg', '--client', 'ops')
  t.equal(made.code, 0)
  t.same(readdirSync(dir).sort(), [
    'ca-key.pem', 'ca.pem', 'client-ops-key.pem', 'client-ops.pem', 'client-siptg-key.pem', 'client-siptg.pem',
    'server-key.pem', 'server.pem',
  ])
  t.equal(new X509Certificate(readFileSync(join(dir, 'client-siptg.pem'))).subject, 'CN=siptg')
  t.equal(new X509Certificate(readFileSync(join(dir, 'server.pem'))).subjectAltName, 'DNS:broker')
})

t.test('cert check: exit 0 ok, 1 expiring, 2 expired or unreadable', async t => {
  const fresh = await generateSelfSigned({ days: 365 })
  const soon = await generateSelfSigned({ days: 10 })
  const old = await generateSelfSigned({ notBefore: new Date(Date.now() - 20 * DAY), days: 5 })
  const dir = t.testdir({ 'fresh.pem': fresh.cert, 'soon.pem': soon.cert, 'old.pem': old.cert, 'key.pem': fresh.key })
  const p = (n: string): string => join(dir, n)

  const ok = await run('check', p('fresh.pem'))
  t.equal(ok.code, 0)
  t.match(ok.out, [new RegExp(`^OK ${p('fresh.pem')}: expires on \\S+ \\(365 days left\\)$`)])

  const expiring = await run('check', p('soon.pem'))
  t.equal(expiring.code, 1)
  t.match(expiring.out, [/^EXPIRING .*soon.pem: expires on \S+ \(10 days left, warning at 30\)$/])
  t.equal((await run('check', p('soon.pem'), '--days', '7')).code, 0, '--days moves the threshold')
  t.equal((await run('check', p('fresh.pem'), '--days', '400')).code, 1)

  const expired = await run('check', p('old.pem'))
  t.equal(expired.code, 2)
  t.match(expired.out, [/^EXPIRED .*old.pem: expired on \S+ \(15 days ago\)$/])

  const missing = await run('check', p('nope.pem'))
  t.equal(missing.code, 2)
  t.same(missing.out, [`UNREADABLE ${p('nope.pem')}: CERT_FILE_MISSING: certificate file ${p('nope.pem')} does not exist`])

  const notCert = await run('check', p('key.pem'))
  t.equal(notCert.code, 2)
  t.match(notCert.out, [/^UNREADABLE .*key.pem: .*holds a private key/])
  for (const r of [ok, expiring, expired, missing, notCert]) t.equal(r.out.length, 1, 'exactly one line')
})

t.test('usage errors exit 64 and say what was wrong', async t => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing subcommand/],
    [['frobnicate'], /unknown subcommand "frobnicate"/],
    [['create', '--colour', 'red'], /Unknown option '--colour'/],
    [['create', '--days', 'ten'], /--days must be a whole number of days, not "ten"/],
    [['create', '--days', '0'], /--days must be from 1 to 36500, not 0/],
    [['create', '--san', 'URI:x'], /--san: subject alternative name "URI:x" must start with DNS: or IP:/],
    [['create', 'extra'], /unexpected argument "extra"/],
    [['create-ca'], /create-ca needs at least one --client NAME/],
    [['create-ca', '--client', 'a b'], /client name "a b" must be/],
    [['show'], /missing FILE argument/],
    [['check', 'a.pem', 'b.pem'], /unexpected argument "b.pem"/],
    [['check', 'a.pem', '--days', '-1'], /--days/],
  ]
  for (const [args, problem] of cases) {
    const r = await run(...args)
    t.equal(r.code, 64, `exit 64 for: ${args.join(' ') || '(nothing)'}`)
    t.match(r.err[0], problem)
    t.ok(r.err.some(l => l.includes('usage:')), 'usage follows')
  }
  const help = await run('--help')
  t.equal(help.code, 0)
  t.match(help.out[0], /^usage:/)
})

import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { generateCaSet, generateSelfSigned } from '../../src/certs/generate.js'
import { caSetFiles, singlePairFiles, writePemFiles } from '../../src/certs/write.js'

const mode = (p: string): number => statSync(p).mode & 0o777

t.test('single pair: cert.pem 0644, key.pem 0600, folder created', async t => {
  const pair = await generateSelfSigned()
  const dir = join(t.testdir(), 'ssl')
  const written = await writePemFiles(dir, singlePairFiles(pair))
  t.same(written, [join(dir, 'cert.pem'), join(dir, 'key.pem')])
  t.equal(readFileSync(join(dir, 'cert.pem'), 'utf8'), pair.cert)
  t.equal(readFileSync(join(dir, 'key.pem'), 'utf8'), pair.key)
  t.equal(mode(join(dir, 'key.pem')), 0o600, 'the key is private')
  t.equal(mode(join(dir, 'cert.pem')) & 0o600, 0o600, 'the certificate is readable by its owner')
})

t.test('CA set: every file, keys 0600', async t => {
  const set = await generateCaSet({ clients: ['sip', 'ops'] })
  const dir = t.testdir()
  await writePemFiles(dir, caSetFiles(set))
  t.same(readdirSync(dir).sort(), [
    'ca-key.pem', 'ca.pem', 'client-ops-key.pem', 'client-ops.pem', 'client-sip-key.pem', 'client-sip.pem',
    'server-key.pem', 'server.pem',
  ])
  for (const f of ['ca-key.pem', 'server-key.pem', 'client-sip-key.pem', 'client-ops-key.pem']) {
    t.equal(mode(join(dir, f)), 0o600, `${f} is 0600`)
  }
  t.equal(readFileSync(join(dir, 'client-ops.pem'), 'utf8'), set.clients[1]?.cert)
})

t.test('refuses to overwrite, and then writes nothing at all', async t => {
  const pair = await generateSelfSigned()
  const dir = t.testdir({ 'key.pem': 'precious' })
  await t.rejects(writePemFiles(dir, singlePairFiles(pair)), {
    code: 'CERT_FILE_EXISTS',
    path: join(dir, 'key.pem'),
    message: `CERT_FILE_EXISTS: refusing to overwrite ${join(dir, 'key.pem')}; move it away or pass --force`,
  })
  t.same(readdirSync(dir), ['key.pem'], 'cert.pem was not written either')
  t.equal(readFileSync(join(dir, 'key.pem'), 'utf8'), 'precious', 'the existing file is untouched')
})

t.test('force replaces the files, with the right modes and no temp files left', async t => {
  const pair = await generateSelfSigned()
  const dir = t.testdir({ 'cert.pem': 'old', 'key.pem': 'old' })
  await writePemFiles(dir, singlePairFiles(pair), { force: true })
  t.equal(readFileSync(join(dir, 'key.pem'), 'utf8'), pair.key)
  t.equal(mode(join(dir, 'key.pem')), 0o600, 'a replaced key is 0600 too')
  t.same(readdirSync(dir).sort(), ['cert.pem', 'key.pem'])
})

t.test('an unwritable target is reported with its path', async t => {
  const dir = t.testdir({ blocker: 'a file, not a folder' })
  await t.rejects(writePemFiles(join(dir, 'blocker', 'ssl'), [{ name: 'x.pem', contents: 'x', secret: false }]), {
    code: 'CERT_WRITE_FAILED', message: new RegExp(`cannot create folder ${join(dir, 'blocker', 'ssl')}`),
  })
})

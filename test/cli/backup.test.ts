/**
 * `tdbroker backup` and `tdbroker restore --file`: a sandbox session logged
 * in, written as a tar archive that the system's tar lists, its folder
 * deleted, restored from the archive, and logged in again after a restart.
 * From MySQL (real MariaDB) while the broker runs, sealed in MySQL and plain
 * in the archive.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runBackup } from '../../src/cli/backup.js'
import { runRestore } from '../../src/cli/restore.js'
import { TestClient } from '../helpers/client.js'
import { ALICE, authState, loginUser, siptgOnSandbox, startSandboxBroker } from '../resolve/helpers.js'
import { scratchDir, until } from '../store/helpers/broker.js'
import { sharedServerMissing, tempDatabase } from '../store/helpers/mysql.js'

type Run = (args: string[], out: (l: string) => void, err: (l: string) => void) => Promise<number>

/** Runs a command function in `dir` (its relative paths are taken from there). */
async function run (command: Run, dir: string, args: string[]): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const code = await command(args, l => out.push(l), l => err.push(l))
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    process.chdir(cwd)
  }
}

const tarList = (file: string): string[] => execFileSync('tar', ['tf', file], { encoding: 'utf8' }).trim().split('\n').sort()

t.test('a session backed up to a tar archive, its folder lost, restored from the archive: logged in again', { timeout: 90_000 }, async t => {
  const dir = scratchDir()
  const settings = siptgOnSandbox()
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings))
  const first = await startSandboxBroker(dir, settings)
  let stopped = false
  t.teardown(async () => { if (!stopped) await first.stop() })
  const client = await TestClient.connect(first.port)
  const alice = await loginUser(client, ALICE.phone)
  client.close()

  const running = await run(runBackup, dir, [alice, '--output', 'alice.tar', '--settings', 'settings.json'])
  t.equal(running.code, 1, 'refused while the broker runs on this storage')
  t.match(running.err, /is in use by another tdbroker .*Stop the broker first, or take its latest backup with --from mysql/)
  t.notOk(existsSync(join(dir, 'alice.tar')), 'and nothing was written')

  await first.stop()
  stopped = true
  const made = await run(runBackup, dir, [alice, '--output', 'alice.tar', '--settings', 'settings.json'])
  t.equal(made.code, 0, made.err)
  t.match(made.out, new RegExp(`^wrote ${join(dir, 'alice.tar')} \\(\\d+ bytes\\): `))
  t.equal(statSync(join(dir, 'alice.tar')).mode & 0o777, 0o600, 'the archive is readable by its owner only')
  const listed = tarList(join(dir, 'alice.tar'))
  t.ok(listed.includes('.tdbroker-session.json') && listed.includes('sandbox-session.json'), `tar tf lists the session's files: ${listed.join(', ')}`)
  t.notOk(listed.some(name => name.includes('/')), 'only plain file names, no folders')

  const again = await run(runBackup, dir, [alice, '--output', 'alice.tar', '--settings', 'settings.json'])
  t.equal(again.code, 1)
  t.match(again.err, /alice\.tar exists \(pass --force to replace it\)/)
  t.equal((await run(runBackup, dir, [alice, '-o', 'alice.tar', '--force', '--settings', 'settings.json'])).code, 0, '--force replaces it')

  const folder = join(dir, 'sessions', alice)
  const occupied = await run(runRestore, dir, [alice, '--file', 'alice.tar', '--settings', 'settings.json'])
  t.equal(occupied.code, 1, 'the folder is still there')
  t.match(occupied.err, /already exists and is not empty; restoring would replace it/)
  rmSync(folder, { recursive: true })
  const restored = await run(runRestore, dir, [alice, '--file', 'alice.tar', '--settings', 'settings.json'])
  t.equal(restored.code, 0, restored.err)
  t.match(restored.out, new RegExp(`^restored session ${alice} into ${folder}: `))
  t.same(execFileSync('ls', ['-A', folder], { encoding: 'utf8' }).trim().split('\n').sort(), listed, 'every file of the archive is back')

  const second = await startSandboxBroker(dir, settings)
  t.teardown(second.stop)
  const c = await TestClient.connect(second.port)
  t.teardown(() => { c.close() })
  t.equal((await c.request({ '@type': 'broker.attachSession', session: alice }))['@type'], 'broker.attached')
  await c.waitFor(authState(alice, 'authorizationStateReady'), 20_000)
  const me = await c.request({ '@type': 'getMe', '@session': alice })
  t.equal(me.id, ALICE.id, 'the restored session is the same account')
})

t.test('a hostile archive is refused before anything is written, and bad arguments say what was wrong', async t => {
  const dir = scratchDir()
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(siptgOnSandbox()))
  // A member named "../escaped": a ustar header written by hand.
  const header = Buffer.alloc(512)
  header.write('../escaped', 0)
  header.write('0000600\0', 100)
  header.write('0000000\0', 108)
  header.write('0000000\0', 116)
  header.write('00000000001\0', 124)
  header.write('00000000000\0', 136)
  header.write('0', 156)
  header.write('ustar\x0000', 257, 'latin1')
  header.fill(0x20, 148, 156)
  let sum = 0
  for (const b of header) sum += b
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  writeFileSync(join(dir, 'evil.tar'), Buffer.concat([header, Buffer.from('x'), Buffer.alloc(511), Buffer.alloc(1024)]))
  t.same(execFileSync('tar', ['tf', join(dir, 'evil.tar')], { encoding: 'utf8' }).trim(), '../escaped', 'tar itself reads the member name')
  const evil = await run(runRestore, dir, ['1234', '--file', 'evil.tar', '--settings', 'settings.json'])
  t.equal(evil.code, 1)
  t.match(evil.err, /unsafe path "\.\.\/escaped"/)
  t.notOk(existsSync(join(dir, 'escaped')) || existsSync(join(dir, 'sessions', '1234')), 'nothing was written')

  const noOutput = await run(runBackup, dir, ['1234', '--settings', 'settings.json'])
  t.equal(noOutput.code, 64)
  t.match(noOutput.err, /^tdbroker backup: --output FILE is required/)
  t.match(noOutput.err, /usage: tdbroker backup SESSION_ID/, 'the usage follows')
  const badFrom = await run(runBackup, dir, ['1234', '-o', 'x.tar', '--from', 'ftp'])
  t.equal(badFrom.code, 64)
  t.match(badFrom.err, /--from must be local or mysql, not "ftp"/)
  const notId = await run(runBackup, dir, ['alice', '-o', 'x.tar'])
  t.equal(notId.code, 64)
  t.match(notId.err, /"alice" is not a session id/)
  const missing = await run(runBackup, dir, ['1234', '-o', 'x.tar', '--settings', 'settings.json'])
  t.equal(missing.code, 1)
  t.match(missing.err, /there is no session 1234 in /)
  const noFile = await run(runRestore, dir, ['1234', '--file', 'nothing.tar', '--settings', 'settings.json'])
  t.equal(noFile.code, 1)
  t.match(noFile.err, /cannot read .*nothing\.tar: ENOENT/)
})

const skip = await sharedServerMissing()

t.test('--from mysql: the latest backup while the broker runs, sealed in MySQL, a plain tar archive on disk', { skip, timeout: 90_000 }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const dir = scratchDir()
  const base = siptgOnSandbox({ mysql: db.settings, terminate_delay: 3600 })
  const settings = { ...base, tdlib: { ...(base.tdlib as object), database_encryption_key: 'backup-cli-key-0123456789abcdef' } }
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings))
  const b = await startSandboxBroker(dir, settings)
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  await until(async () => (await db.query('SELECT 1 FROM session_backups WHERE session_id = ?', [alice])).length === 1, 'the login is backed up')

  const made = await run(runBackup, dir, [alice, '--from', 'mysql', '--output', 'alice.tar', '--settings', 'settings.json'])
  t.equal(made.code, 0, made.err)
  t.match(made.out, /\(backup taken \d{4}-\d\d-\d\dT.*, login only\)/, 'a running session\'s backup holds its login')
  const listed = tarList(join(dir, 'alice.tar'))
  t.ok(listed.includes('sandbox-session.json'), `tar tf lists the login: ${listed.join(', ')}`)
  t.ok(readFileSync(join(dir, 'alice.tar')).includes(Buffer.from(ALICE.phone.slice(1))), 'unsealed on disk (MySQL holds it sealed)')

  const wrongKey = { ...settings, tdlib: { ...(settings.tdlib as object), database_encryption_key: 'another-key-fedcba9876543210fedc' } }
  writeFileSync(join(dir, 'wrong.json'), JSON.stringify(wrongKey))
  const wrong = await run(runBackup, dir, [alice, '--from', 'mysql', '--output', 'wrong.tar', '--settings', 'wrong.json'])
  t.equal(wrong.code, 1)
  t.match(wrong.err, /BACKUP_KEY_MISMATCH/)
  t.notOk(existsSync(join(dir, 'wrong.tar')), 'nothing written with the wrong key')
})

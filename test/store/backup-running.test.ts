/**
 * Backups that survive a crash, sealed (real MariaDB, sandbox logins): a
 * session is backed up when it logs in and every backup_interval while it
 * runs, so after kill -9 `tdbroker restore` still has it. With a database
 * key the backup is sealed (AES-256-GCM) and a restore with the wrong key,
 * or none, fails clearly without writing anything; unsealed backups from
 * before still restore. Spawns the compiled CLI: run `npx tsc -p tsconfig.json` first.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runRestore } from '../../src/cli/restore.js'
import { TestClient } from '../helpers/client.js'
import { ALICE, authState, loginUser, siptgOnSandbox, startSandboxBroker } from '../resolve/helpers.js'
import { scratchDir, until } from './helpers/broker.js'
import { sharedServerMissing, tempDatabase } from './helpers/mysql.js'

const skip = await sharedServerMissing()
const CLI = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/src/cli/main.js')
const KEY = 'backup-test-key-0123456789abcdef'
const OTHER_KEY = 'another-key-fedcba9876543210fedc'

async function restore (sessionId: string, settings: Record<string, unknown>): Promise<{ code: number, out: string, err: string, dir: string }> {
  const dir = scratchDir()
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings))
  const out: string[] = []
  const err: string[] = []
  const code = await runRestore([sessionId, '--settings', join(dir, 'settings.json')], l => out.push(l), l => err.push(l))
  return { code, out: out.join('\n'), err: err.join('\n'), dir }
}

/** The stored backup of a session: its bytes, joined from the chunks. */
async function storedBackup (db: Awaited<ReturnType<typeof tempDatabase>>, sessionId: string): Promise<Buffer> {
  const rows = await db.query<Array<{ data: Buffer }>>('SELECT data FROM session_backup_chunks WHERE session_id = ? ORDER BY seq', [sessionId])
  return Buffer.concat(rows.map(r => r.data))
}

t.test('kill -9 after a login: the backup taken at login is in MySQL, sealed, and restores only with the key', { skip, timeout: 90_000 }, async t => {
  t.ok(existsSync(CLI), 'dist is built (npx tsc -p tsconfig.json)')
  const db = await tempDatabase()
  t.teardown(db.drop)
  const dir = scratchDir()
  const settings = siptgOnSandbox({ mysql: db.settings })
  const keyed = { ...settings, tdlib: { ...(settings.tdlib as object), database_encryption_key: KEY } }
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ ...keyed, terminate_delay: 3600 }))
  const child = spawn(process.execPath, [CLI, 'start', '--settings', 'settings.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  await until(() => /listening on \S+:\d+/.test(out), 'the broker listens', 20_000)
  const port = Number(/listening on \S+:(\d+)/.exec(out)![1])
  const client = await TestClient.connect(port)
  const alice = await loginUser(client, ALICE.phone)
  await until(async () => (await db.query('SELECT 1 FROM session_backups WHERE session_id = ?', [alice])).length === 1, 'the login is backed up while the session runs')
  child.kill('SIGKILL')
  await exited
  client.close()

  const sealed = await storedBackup(db, alice)
  t.equal(sealed.subarray(0, 7).toString('latin1'), 'TDBSEAL', 'the backup is sealed')
  t.notOk(sealed.includes(Buffer.from('ustar')) || sealed.includes(Buffer.from('td.binlog')) || sealed.includes(Buffer.from('15550001001')), 'no plain tar archive, no file names, no phone number in MySQL')

  const wrong = await restore(alice, { ...settings, tdlib: { ...(settings.tdlib as object), database_encryption_key: OTHER_KEY } })
  t.equal(wrong.code, 1)
  t.match(wrong.err, /^tdbroker restore: BACKUP_KEY_MISMATCH: the backup of session \d+ is sealed with key id [0-9a-f]{16}, which does not match tdlib\.database_encryption_key \(key id [0-9a-f]{16}\)/)
  t.notOk(existsSync(join(wrong.dir, 'sessions', alice)), 'nothing was written')
  const none = await restore(alice, settings)
  t.equal(none.code, 1)
  t.match(none.err, /BACKUP_KEY_MISSING: the backup of session \d+ is sealed \(key id [0-9a-f]{16}\), and the settings have no tdlib\.database_encryption_key/)
  const rotated = await restore(alice, { ...settings, tdlib: { ...(settings.tdlib as object), database_encryption_key: OTHER_KEY, previous_database_encryption_key: KEY } })
  t.equal(rotated.code, 0, `the previous key opens it: ${rotated.err}`)

  const good = await restore(alice, keyed)
  t.equal(good.code, 0, good.err)
  const b = await startSandboxBroker(good.dir, keyed)
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  t.equal((await c.request({ '@type': 'broker.attachSession', session: alice }))['@type'], 'broker.attached')
  await c.waitFor(authState(alice, 'authorizationStateReady'))
  t.pass('the session restored from the crash is logged in')
})

t.test('backup_interval backs a running session up again and again; without a key backups stay plain, with a warning', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const settings = siptgOnSandbox({ mysql: { ...db.settings, backup_interval: 0.2 }, terminate_delay: 3600, tdlib: { api_id: 94575, api_hash: 'API_HASH', path: 'sessions', backend: 'tdlib' } })
  // The sandbox stands in for TDLib, but the settings say tdlib so the start warns as for real accounts.
  const b = await startSandboxBroker(scratchDir(), settings)
  t.teardown(b.stop)
  const warnings = b.logs.records.filter(r => typeof r.msg === 'string' && r.msg.startsWith('tdlib.database_encryption_key is not set'))
  t.equal(warnings.length, 1, 'one warning at start')
  t.match(warnings[0]?.msg, /stored unencrypted, and their MySQL backups are not sealed/)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  const runs = (): number => b.logs.records.filter(r => r.msg === 'running session backup taken' && r.session === alice).length
  await until(() => runs() >= 3, 'three running backups (one at login, two by the interval)', 20_000)
  await until(async () => (await db.query('SELECT 1 FROM session_backups WHERE session_id = ?', [alice])).length === 1, 'the backup is stored')
  t.same(await db.query('SELECT login_only FROM session_backups WHERE session_id = ?', [alice]), [{ login_only: 1 }], 'a running session is backed up by its login files')
  const plain = await storedBackup(db, alice)
  t.equal(plain.subarray(257, 262).toString('latin1'), 'ustar', 'without a key the backup is a plain tar archive')
  t.ok(plain.includes(Buffer.from('15550001001')), 'which shows the account (what sealing hides)')
  const restored = await restore(alice, { ...settings, tdlib: { ...(settings.tdlib as object), database_encryption_key: KEY } })
  t.equal(restored.code, 0, `an unsealed backup still restores where a key is set: ${restored.err}`)
})

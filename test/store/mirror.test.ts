/**
 * The MySQL mirror on the shared MariaDB with real TDLib sessions: session
 * rows appear as sessions start, a backup is stored when a session stops
 * cleanly and `tdbroker restore` brings the folder back; the write queue's
 * bound loses nothing.
 */
import t from 'tap'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { RESTORE_SEQ_MARGIN, runRestore } from '../../src/cli/restore.js'
import { LocalStore } from '../../src/store/local-store.js'
import { MysqlMirror } from '../../src/store/mysql-mirror.js'
import type { MirrorWrite } from '../../src/store/records.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { LogSink } from '../helpers/log-sink.js'
import { scratchDir, startStoreBroker, until } from './helpers/broker.js'
import { sharedServerMissing, tempDatabase } from './helpers/mysql.js'

const skip = await sharedServerMissing()

const waitPhone = (session: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session &&
  (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitPhoneNumber'

t.test('sessions are mirrored as they start; a clean stop stores a backup that restore brings back', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const dir = scratchDir()
  const b = await startStoreBroker(dir, { mysql: db.settings })
  const client = await TestClient.connect(b.port)
  const session = await client.createSession()
  await client.waitFor(waitPhone(session))

  await until(async () => (await db.query('SELECT 1 FROM sessions WHERE session_id = ?', [session])).length === 1, 'the session row is in MySQL')
  const [row] = await db.query('SELECT session_id, user_id, created, last_active FROM sessions')
  t.equal(row?.session_id, session)
  t.equal(row?.user_id, null, 'not logged in: no user yet')
  t.ok((row?.created as Date).getTime() <= (row?.last_active as Date).getTime(), 'created, then active')

  t.equal((await client.request({ '@type': 'broker.detachSession', session }))['@type'], 'broker.detached')
  await until(async () => (await db.query('SELECT 1 FROM session_backups WHERE session_id = ?', [session])).length === 1, 'the backup is in MySQL')
  const [backup] = await db.query('SELECT size, chunks, files, login_only FROM session_backups WHERE session_id = ?', [session])
  const folder = join(b.settings.tdlib.path, session)
  const files = String(backup?.files).split(',')
  t.ok(files.includes('td.binlog'), `TDLib's binlog is backed up (${String(backup?.files)})`)
  t.equal(backup?.login_only, 0)
  t.equal(Number(backup?.chunks), Math.ceil(Number(backup?.size) / (512 * 1024)))
  await until(() => !readdirSync(b.settings.tdlib.path).some(n => n.startsWith('.tdbroker-backup-')), 'the spooled copy is removed once stored')
  t.pass('the spooled copy is removed once stored')
  client.close()
  await b.stop()

  // A fresh host: an empty storage folder, the same MySQL.
  const fresh = scratchDir()
  const settingsFile = join(fresh, 'settings.json')
  writeFileSync(settingsFile, JSON.stringify({ tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' }, mysql: db.settings }))
  const out: string[] = []
  const err: string[] = []
  t.equal(await runRestore([session, '--settings', settingsFile], l => out.push(l), l => err.push(l)), 0, err.join('\n'))
  t.match(out[0], new RegExp(`^restored session ${session} into ${join(fresh, 'sessions', session)}: `))
  t.match(out[1], /AUTH_KEY_DUPLICATED/, 'the operator is warned about running it twice')
  t.same(readdirSync(join(fresh, 'sessions', session)).sort(), [...files].sort(), 'the files of the backup, and nothing else')
  for (const name of files.filter(n => !n.startsWith('.tdbroker'))) {
    t.same(readFileSync(join(fresh, 'sessions', session, name)), readFileSync(join(folder, name)), `${name} is restored byte for byte`)
  }
  const before = JSON.parse(readFileSync(join(folder, '.tdbroker-session.json'), 'utf8')) as { seq_reserved: number }
  const after = JSON.parse(readFileSync(join(fresh, 'sessions', session, '.tdbroker-session.json'), 'utf8')) as { seq_reserved: number }
  t.ok(after.seq_reserved >= before.seq_reserved + RESTORE_SEQ_MARGIN, 'a restored session never reuses a sequence number')
  const local = new LocalStore(join(fresh, 'sessions'), pino({ level: 'silent' }))
  await local.open()
  t.equal(local.session(session)?.session_id, session, 'the session record is restored into the local store')

  t.equal(await runRestore([session, '--settings', settingsFile], l => out.push(l), l => err.push(l)), 1, 'a second restore would overwrite the folder')
  t.match(err.at(-1), /already exists and is not empty.*--force/)
  t.equal(await runRestore([session, '--settings', settingsFile, '--force'], l => out.push(l), l => err.push(l)), 0, '--force replaces it')
  t.equal(await runRestore(['123', '--settings', settingsFile], l => out.push(l), l => err.push(l)), 1)
  t.match(err.at(-1), /holds no backup of session 123/)
  t.equal(await runRestore(['../etc', '--settings', settingsFile], l => out.push(l), l => err.push(l)), 64, 'a path is not a session id')

  // The restored session starts in a broker on the new host.
  const b2 = await startStoreBroker(fresh, { mysql: db.settings })
  t.teardown(b2.stop)
  const c2 = await TestClient.connect(b2.port)
  t.teardown(() => { c2.close() })
  const attached = await c2.request({ '@type': 'broker.attachSession', session }, 30_000)
  t.equal(attached['@type'], 'broker.attached')
})

t.test('restore refuses while a broker holds the storage folder', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const dir = scratchDir()
  const b = await startStoreBroker(dir, { mysql: db.settings })
  t.teardown(b.stop)
  const settingsFile = join(dir, 'settings.json')
  writeFileSync(settingsFile, JSON.stringify({ tdlib: { path: 'sessions' }, mysql: db.settings }))
  const err: string[] = []
  t.equal(await runRestore(['123', '--settings', settingsFile], () => {}, l => err.push(l)), 1)
  t.match(err[0], /in use by another tdbroker/)
})

const silent = pino({ level: 'silent' })

t.test('at the queue bound the queue is dropped and a full resync writes every row: nothing is lost', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const dir = scratchDir()
  mkdirSync(dir, { recursive: true })
  const local = new LocalStore(dir, silent)
  const logs = new LogSink()
  // Start against a closed port: MySQL is "down", writes queue up.
  const settings = { ...db.settings, port: 1, charset: 'utf8', read_timeout: 0, debug: false, backup_interval: 0 }
  const mirror = new MysqlMirror(settings, pino({ level: 'trace' }, logs), {
    spoolDir: dir, maxQueue: 5, retryMs: [50, 100],
    resyncSource: (): MirrorWrite[] => local.listUsers().map(row => ({ table: 'users', row })),
  })
  t.teardown(async () => { await mirror.close() })
  local.onChange = w => { mirror.enqueue(w) }
  await mirror.open(undefined, 100)
  t.equal(mirror.state, 'down')
  for (let i = 1; i <= 12; i++) local.putUser({ user_id: i, phone: `5550${i}`, is_bot: i % 2 === 0, updated: Date.now() })
  t.ok(mirror.queued < 5, `the queue stays under its bound (${mirror.queued})`)
  t.ok(logs.find(r => r.msg.startsWith('MySQL write queue full')), 'reaching the bound is logged')
  t.ok(mirror.stats.dropped > 0)

  // MySQL "comes back": point the mirror at the real port.
  ;(mirror.settings as { port: number }).port = db.settings.port
  await until(() => mirror.idle && mirror.state === 'up', 'the mirror caught up')
  const rows = await db.query('SELECT user_id, phone, is_bot FROM users ORDER BY user_id')
  t.same(rows.map(r => Number(r.user_id)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'every row arrived')
  t.same(rows.map(r => r.is_bot), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
  t.equal(mirror.stats.resyncs, 1)
  t.ok(existsSync(dir))
})

t.test('a row MySQL refuses is dropped and logged; the others go through', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const logs = new LogSink()
  const mirror = new MysqlMirror({ ...db.settings, charset: 'utf8', read_timeout: 0, debug: false, backup_interval: 0 }, pino({ level: 'trace' }, logs), {
    spoolDir: scratchDir(), resyncSource: () => [],
  })
  t.teardown(async () => { await mirror.close() })
  await mirror.open(undefined, 100)
  await until(() => mirror.idle, 'the start resync is done')
  mirror.enqueue({ table: 'users', row: { user_id: 1, phone: '1'.repeat(40), is_bot: false, updated: Date.now() } })
  mirror.enqueue({ table: 'users', row: { user_id: 2, phone: '555', is_bot: true, updated: Date.now() } })
  await until(() => mirror.idle, 'the queue is empty')
  t.same((await db.query('SELECT user_id FROM users')).map(r => Number(r.user_id)), [2])
  t.ok(logs.find(r => r.msg.startsWith('MySQL refused a mirrored row')))
  t.equal(mirror.state, 'up', 'a refused row is not an outage')
})

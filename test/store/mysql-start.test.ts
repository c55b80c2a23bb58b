/**
 * Starting with MySQL on the shared MariaDB: schema.sql applies and matches
 * what the broker checks; a missing table or column, a wrong password and a
 * missing database stop the broker with a message saying exactly that; an
 * unreachable server does not stop it.
 */
import t from 'tap'
import { pino } from 'pino'
import { connect } from '../../src/store/mysql-connect.js'
import { EXPECTED_TABLES, missingSchema } from '../../src/store/mysql-schema.js'
import { TestClient } from '../helpers/client.js'
import { LogSink } from '../helpers/log-sink.js'
import { scratchDir, startStoreBroker, until } from './helpers/broker.js'
import { freePort, schemaSql, sharedServerMissing, tempDatabase } from './helpers/mysql.js'

const skip = await sharedServerMissing()
const log = pino({ level: 'silent' }, new LogSink())

t.test('schema.sql creates exactly the tables and columns the broker checks', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const columns = await db.query<Array<{ t: string, c: string }>>(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION', [db.name])
  const found: Record<string, string[]> = {}
  for (const { t: table, c } of columns) (found[table] ??= []).push(c)
  t.same(found, Object.fromEntries(Object.entries(EXPECTED_TABLES).sort(([a], [b]) => a.localeCompare(b))))
  const connection = await connect({ ...db.settings, charset: 'utf8', read_timeout: 0, debug: false, backup_interval: 0 })
  t.teardown(async () => { await connection.end() })
  t.same(await missingSchema(connection, { ...db.settings, charset: 'utf8', read_timeout: 0, debug: false, backup_interval: 0 }, log), [], 'the check passes')
  await db.query('INSERT INTO users (user_id, is_bot, updated) VALUES (1, 0, NOW())')
  await db.query(schemaSql())
  t.same(await db.query('SELECT user_id FROM users'), [{ user_id: '1' }], 'applying schema.sql again is harmless: rows stay')
})

t.test('a missing table and a missing column are named, and the broker does not start', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  await db.query('DROP TABLE session_backup_chunks')
  await db.query('ALTER TABLE users DROP COLUMN is_bot')
  const dir = scratchDir()
  await t.rejects(startStoreBroker(dir, { mysql: db.settings }), {
    message: new RegExp(`^MySQL database ${db.name} lacks tdbroker's tables: missing column users\\.is_bot, table session_backup_chunks\\. Apply schema\\.sql`),
  })
  // The folder lock was released: a corrected broker can start on the same folder.
  await db.query('DROP DATABASE `' + db.name + '`')
  const fixed = await tempDatabase()
  t.teardown(fixed.drop)
  const b = await startStoreBroker(dir, { mysql: fixed.settings })
  t.equal(b.broker.store.mirror?.state, 'up')
  await b.stop()
})

t.test('a wrong password and a missing database are clear errors at start', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const user = `tdb_${process.pid}`
  await db.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY 'right-password'`)
  await db.query(`CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY 'right-password'`)
  await db.query(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'%'`)
  await db.query(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'localhost'`)
  t.teardown(async () => {
    await db.query(`DROP USER IF EXISTS '${user}'@'%'`)
    await db.query(`DROP USER IF EXISTS '${user}'@'localhost'`)
  })

  await t.rejects(startStoreBroker(scratchDir(), { mysql: { ...db.settings, user, password: 'wrong' } }),
    { message: new RegExp(`^MySQL refused the login ${user}@127\\.0\\.0\\.1:3306: check mysql/user and mysql/password`) })
  await t.rejects(startStoreBroker(scratchDir(), { mysql: { ...db.settings, database: `${db.name}_missing` } }),
    { message: new RegExp(`^MySQL database ${db.name}_missing does not exist on 127\\.0\\.0\\.1:3306: create it and apply schema\\.sql`) })
  const other = await tempDatabase()
  t.teardown(other.drop)
  await t.rejects(startStoreBroker(scratchDir(), { mysql: { ...other.settings, user, password: 'right-password' } }),
    { message: new RegExp(`^MySQL user ${user} may not use database ${other.name}`) })
  const ok = await startStoreBroker(scratchDir(), { mysql: { ...db.settings, user, password: 'right-password' } })
  t.equal(ok.broker.store.mirror?.state, 'up', 'the right password works (control)')
  await ok.stop()
  await t.rejects(connect({ ...db.settings, charset: 'klingon', read_timeout: 0, debug: false, backup_interval: 0 }), { name: 'MysqlConfigError', message: /^mysql\/charset: Unknown charset 'klingon'/ })
})

t.test('an unreachable MySQL at start: the broker starts on local data and says so', { skip }, async t => {
  const port = await freePort()
  const b = await startStoreBroker(scratchDir(), { mysql: { host: '127.0.0.1', port, user: 'root', database: 'nowhere' } })
  t.teardown(b.stop)
  t.equal(b.broker.store.mirror?.state, 'down')
  const warning = b.logs.find(r => r.msg.startsWith('MySQL unreachable'))
  t.equal(warning?.level, 40, 'logged as a warning')
  t.equal(warning?.code, 'ECONNREFUSED')
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  const answer = await client.request({ '@type': 'testSquareInt', x: 9, '@session': session })
  t.equal(answer.value, 81, 'sessions work without MySQL')
})

t.test('settings mysql section reaches the driver: charset and debug', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const b = await startStoreBroker(scratchDir(), { mysql: { ...db.settings, charset: 'utf8mb4', debug: true } })
  t.teardown(b.stop)
  const logged = b.logs.find(r => r.msg === 'mysql' && typeof r.sql === 'string' && (r.sql as string).includes('information_schema.COLUMNS'))
  t.ok(logged, 'mysql/debug logs each statement')
  t.notOk(JSON.stringify(b.logs.records).includes('"password"'), 'and never the password')
  const connection = await connect({ ...db.settings, charset: 'utf8mb4', read_timeout: 0, debug: false, backup_interval: 0 })
  t.teardown(async () => { await connection.end() })
  const [rows] = await connection.query('SELECT @@character_set_client AS cs') as unknown as [Array<{ cs: string }>]
  t.equal(rows[0]?.cs, 'utf8mb4', 'mysql/charset is the connection character set')
})

t.test('a MySQL that accepts but does not answer at start: the broker starts anyway and catches up later', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  await db.query('LOCK TABLES users WRITE') // the start's cache read waits on this lock
  const b = await startStoreBroker(scratchDir(), { mysql: { ...db.settings, read_timeout: 1 }, resolve_cache_ttl: 60 })
  t.teardown(b.stop)
  const mirror = b.broker.store.mirror!
  t.equal(mirror.state, 'down', 'started without MySQL')
  t.match(b.logs.find(r => r.msg.startsWith('MySQL unreachable'))?.err, /timeout/i)
  await db.query('UNLOCK TABLES')
  await until(() => mirror.state === 'up' && mirror.idle, 'the mirror is back')
  t.pass('and reconnects once MySQL answers')
})

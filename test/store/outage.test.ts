/**
 * MySQL is never a single point of failure. On a MariaDB server of our own
 * (never the shared one): kill it mid-run, keep using the broker, start it
 * again on the same data, and find every row and backup in it. Then a slow
 * MySQL (a table lock longer than read_timeout) is ridden out the same way.
 */
import t from 'tap'
import { readdirSync } from 'node:fs'
import { TestClient } from '../helpers/client.js'
import { ALICE, BOB, DAVE, loginUser, siptgOnSandbox, startSandboxBroker } from '../resolve/helpers.js'
import { scratchDir, startStoreBroker, until } from './helpers/broker.js'
import { PrivateMariadb, privateServerMissing, queryOnce, tempDatabase } from './helpers/mysql.js'

const skip = privateServerMissing()

t.test('MySQL killed mid-run: the broker keeps serving, queues, and catches up with nothing lost', { skip }, async t => {
  const server = await PrivateMariadb.create(scratchDir('tdbroker-mariadb-'))
  t.teardown(async () => { await server.destroy() })
  const db = await tempDatabase({ server: server.connection })
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox({ mysql: db.settings }))
  t.teardown(b.stop)
  const mirror = b.broker.store.mirror!
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })

  const alice = await loginUser(client, ALICE.phone)
  await until(async () => (await db.query('SELECT user_id FROM sessions WHERE session_id = ?', [alice]))[0]?.user_id === String(ALICE.id), 'the first login is mirrored')
  await until(async () => (await db.query('SELECT 1 FROM session_backups WHERE session_id = ?', [alice])).length === 1, 'and backed up at login')

  await server.kill()
  t.notOk(server.running, 'MySQL is gone')

  // The broker goes on: a new login, resolutions, messages, a clean stop with a backup.
  const dave = await loginUser(client, DAVE.phone, DAVE.code)
  t.match(await client.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice }), { '@type': 'user', id: BOB.id }, 'a username resolves during the outage')
  t.match(await client.request({ '@type': 'sendMessage', chat_id: '+1 555 000 1001', input_message_content: { '@type': 'inputMessageText', text: '*still* here' }, '@session': dave }),
    { '@type': 'message', chat_id: ALICE.id }, 'a phone number resolves and a message goes during the outage')
  t.equal((await client.request({ '@type': 'broker.detachSession', session: dave }))['@type'], 'broker.detached')

  await until(() => mirror.state === 'down', 'the mirror notices the outage')
  await until(() => readdirSync(b.settings.tdlib.path).includes(`.tdbroker-backup-${dave}.pack`), "Dave's backup is spooled to disk")
  const warned = b.logs.find(r => r.msg.startsWith('MySQL unreachable'))
  t.equal(warned?.level, 40, 'the outage is logged as a warning')
  t.ok(mirror.queued > 0, `writes are queued (${mirror.queued})`)
  t.equal(mirror.backupsPending, 1, 'one backup waits')
  t.match(await client.request({ '@type': 'broker.getStatus' }), { mysql: 'down', mysql_backups_pending: 1 }, 'broker.getStatus tells')

  await server.start()
  await until(() => mirror.state === 'up' && mirror.idle, 'the mirror caught up', 60_000)
  t.ok(b.logs.find(r => r.msg === 'MySQL is back: catching up'), 'the return is logged')
  t.match(await client.request({ '@type': 'broker.getStatus' }), { mysql: 'up', mysql_queued: 0, mysql_backups_pending: 0 })

  const q = async (sql: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> => await queryOnce(server.connection, db.name, sql, values)
  t.same(await q('SELECT session_id, user_id, phone FROM sessions ORDER BY user_id'), [
    { session_id: alice, user_id: String(ALICE.id), phone: '15550001001' },
    { session_id: dave, user_id: String(DAVE.id), phone: '15550001004' },
  ], 'both sessions, with the login made during the outage')
  t.same(await q('SELECT user_id, phone FROM users ORDER BY user_id'), [
    { user_id: String(ALICE.id), phone: '15550001001' },
    { user_id: String(BOB.id), phone: null },
    { user_id: String(DAVE.id), phone: '15550001004' },
  ], 'every user seen')
  t.same(await q('SELECT username, chat_id FROM usernames'), [{ username: 'bob_baker', chat_id: String(BOB.id) }], 'the username resolved during the outage')
  const backups = await q('SELECT session_id, files FROM session_backups')
  t.same(backups.map(r => r.session_id).sort(), [alice, dave].sort(), 'the backup taken during the outage is stored (beside the one of the first login)')
  t.match(String(backups.find(r => r.session_id === dave)?.files), /sandbox-session\.json/)
  t.notOk(readdirSync(b.settings.tdlib.path).some(n => n.startsWith('.tdbroker-backup-')), 'the spool is empty')
})

t.test('a MySQL slower than read_timeout: the write gives up, is queued and goes through later', { skip }, async t => {
  const server = await PrivateMariadb.create(scratchDir('tdbroker-mariadb-'))
  t.teardown(async () => { await server.destroy() })
  const db = await tempDatabase({ server: server.connection })
  t.teardown(db.drop)
  const b = await startStoreBroker(scratchDir(), { mysql: { ...db.settings, read_timeout: 0.5 } })
  t.teardown(b.stop)
  const mirror = b.broker.store.mirror!
  await until(() => mirror.idle, 'the start resync is done')

  // Another connection holds a write lock on users: the mirror's insert waits on it.
  await db.query('LOCK TABLES users WRITE')
  b.broker.store.rememberUser({ user_id: 4242, phone: '4242', is_bot: true })
  await until(() => mirror.state === 'down', 'the mirror gives up on the slow write')
  const warned = b.logs.find(r => r.msg.startsWith('MySQL unreachable'))
  t.match(warned?.err, /timeout/i, 'the timeout is the reason logged')

  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  t.equal((await client.request({ '@type': 'testSquareInt', x: 3, '@session': session })).value, 9, 'the broker serves meanwhile')

  await db.query('UNLOCK TABLES')
  await until(() => mirror.state === 'up' && mirror.idle, 'caught up')
  t.same(await db.query('SELECT user_id, is_bot FROM users WHERE user_id = 4242'), [{ user_id: '4242', is_bot: 1 }])
})

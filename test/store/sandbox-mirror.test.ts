/**
 * The mirror with logged-in sessions (sandbox) on the shared MariaDB: rows
 * appear as sessions log in and resolve, and `tdbroker restore` on a fresh
 * host (empty storage folder, new process) brings a session back logged in,
 * with the resolutions of the old host.
 */
import t from 'tap'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runRestore } from '../../src/cli/restore.js'
import { TestClient } from '../helpers/client.js'
import { ALICE, BOB, DAVE, INLINE_BOT, authState, loginBot, loginUser, siptgOnSandbox, startSandboxBroker } from '../resolve/helpers.js'
import { scratchDir, until } from './helpers/broker.js'
import { sharedServerMissing, tempDatabase } from './helpers/mysql.js'

const skip = await sharedServerMissing()

t.test('rows appear as sessions log in and resolve; restore brings a session back logged in on a fresh host', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const settings = siptgOnSandbox({ mysql: db.settings })
  const b = await startSandboxBroker(scratchDir(), settings)
  const client = await TestClient.connect(b.port)
  const alice = await loginUser(client, ALICE.phone)
  const bot = await loginBot(client, INLINE_BOT.token)

  const sessionRow = async (id: string): Promise<Record<string, unknown> | undefined> =>
    (await db.query('SELECT user_id, phone, is_bot FROM sessions WHERE session_id = ?', [id]))[0]
  const loggedIn = async (id: string): Promise<boolean> => typeof (await sessionRow(id))?.user_id === 'string'
  await until(async () => await loggedIn(alice) && await loggedIn(bot), 'the logins are mirrored')
  t.same(await sessionRow(alice), { user_id: String(ALICE.id), phone: '15550001001', is_bot: 0 })
  t.same(await sessionRow(bot), { user_id: String(INLINE_BOT.id), phone: null, is_bot: 1 })

  await client.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice })
  await client.request({ '@type': 'sendMessage', chat_id: DAVE.phone, input_message_content: { '@type': 'inputMessageText', text: 'hi' }, '@session': alice })
  await until(() => b.broker.store.mirror!.idle, 'the mirror is idle')
  t.same(await db.query('SELECT username, chat_id, user_id, is_bot FROM usernames'), [{ username: 'bob_baker', chat_id: String(BOB.id), user_id: String(BOB.id), is_bot: 0 }])
  t.same(await db.query('SELECT user_id, phone, is_bot FROM users ORDER BY user_id'), [
    { user_id: String(ALICE.id), phone: '15550001001', is_bot: 0 },
    { user_id: String(BOB.id), phone: null, is_bot: 0 },
    { user_id: String(DAVE.id), phone: '15550001004', is_bot: 0 },
    { user_id: String(INLINE_BOT.id), phone: null, is_bot: 1 },
  ])

  client.close()
  await b.stop()
  t.same((await db.query('SELECT session_id FROM session_backups ORDER BY session_id')).map(r => r.session_id), [alice, bot].sort(), 'both sessions were backed up at the clean stop')

  // The fresh host: empty storage, a new process (a new emulated Telegram), the same MySQL.
  const fresh = scratchDir()
  const settingsFile = join(fresh, 'settings.json')
  writeFileSync(settingsFile, JSON.stringify(settings))
  const out: string[] = []
  const err: string[] = []
  t.equal(await runRestore([alice, '--settings', settingsFile], l => out.push(l), l => err.push(l)), 0, err.join('\n'))
  t.same(readdirSync(join(fresh, 'sessions')).filter(n => !n.startsWith('.')), [alice], 'only the restored session is there')

  const b2 = await startSandboxBroker(fresh, settings)
  t.teardown(b2.stop)
  const c2 = await TestClient.connect(b2.port)
  t.teardown(() => { c2.close() })
  const attached = await c2.request({ '@type': 'broker.attachSession', session: alice })
  t.equal(attached['@type'], 'broker.attached')
  await c2.waitFor(authState(alice, 'authorizationStateReady'))
  t.pass('the restored session is logged in')
  t.match(await c2.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice }), { '@type': 'user', id: BOB.id })
  t.equal(b2.backend.calls.filter(c => c.type === 'searchPublicChat').length, 0, 'the username came from the cache loaded from MySQL')
})

/** The local store file: survives a restart, is written atomically, is bounded, and survives damage. */
import t from 'tap'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { LocalStore, STORE_FILE } from '../../src/store/local-store.js'
import { ResolveCache } from '../../src/resolve/cache.js'
import { LogSink } from '../helpers/log-sink.js'
import { scratchDir } from './helpers/broker.js'

const quiet = () => {
  const logs = new LogSink()
  return { logs, log: pino({ level: 'trace' }, logs) }
}

t.test('what was put is there after a restart, and the file is replaced whole', async t => {
  const dir = scratchDir('tdbroker-store-')
  const { log } = quiet()
  const a = new LocalStore(dir, log)
  await a.open()
  const changes: string[] = []
  a.onChange = w => { changes.push(w.table) }
  a.putSession({ session_id: '42', created: 1000, last_active: 2000 })
  a.putSession({ session_id: '42', user_id: 7, phone: '79990001122', is_bot: false, created: 5000, last_active: 1500 })
  a.putUser({ user_id: 7, phone: '79990001122', is_bot: false, updated: 3000 })
  a.putUsername({ username: 'SomeBody', chat_id: 7, user_id: 7, is_bot: false, resolved: 3000 })
  t.same(changes, ['sessions', 'sessions', 'users', 'usernames'], 'every change is reported (for the mirror)')
  await a.close()
  t.same(readdirSync(dir), [STORE_FILE], 'no temporary file is left behind')

  const b = new LocalStore(dir, log)
  await b.open()
  t.same(b.session('42'), { session_id: '42', user_id: 7, phone: '79990001122', is_bot: false, created: 1000, last_active: 2000 },
    'the earliest created and the latest last_active are kept')
  t.equal(b.userByPhone('79990001122')?.user_id, 7)
  t.equal(b.username('somebody')?.chat_id, 7, 'usernames are kept in lower case')
  t.equal(b.username('SOMEBODY')?.chat_id, 7, 'and found whatever the case')
})

t.test('a phone number that moved to another user resolves to the newer one', async t => {
  const { log } = quiet()
  const s = new LocalStore(scratchDir('tdbroker-store-'), log)
  s.putUser({ user_id: 1, phone: '555000', is_bot: false, updated: 100 })
  s.putUser({ user_id: 2, phone: '555000', is_bot: false, updated: 200 })
  t.equal(s.userByPhone('555000')?.user_id, 2)
  s.merge({ users: [{ user_id: 3, phone: '555000', is_bot: false, updated: 150 }] })
  t.equal(s.userByPhone('555000')?.user_id, 2, 'an older row from elsewhere does not win')
})

t.test('users and usernames are bounded: the oldest go first', async t => {
  const { log } = quiet()
  const s = new LocalStore(scratchDir('tdbroker-store-'), log, 3)
  for (let i = 1; i <= 5; i++) {
    s.putUser({ user_id: i, phone: `5550${i}0`, is_bot: false, updated: i })
    s.putUsername({ username: `user${i}xx`, chat_id: i, resolved: i })
  }
  t.same(s.listUsers().map(u => u.user_id), [3, 4, 5])
  t.same(s.listUsernames().map(u => u.chat_id), [3, 4, 5])
  t.equal(s.userByPhone('555010'), undefined, 'the phone index forgets evicted users')
})

t.test('a damaged file is set aside and the broker starts with an empty store', async t => {
  const dir = scratchDir('tdbroker-store-')
  writeFileSync(join(dir, STORE_FILE), '{"format":1,"sessions":[')
  const { log, logs } = quiet()
  const s = new LocalStore(dir, log)
  await s.open()
  t.same(s.listSessions(), [])
  t.ok(logs.find(r => r.msg.startsWith('local store file is damaged')), 'it is logged')
  const aside = readdirSync(dir).find(n => n.startsWith(`${STORE_FILE}.damaged-`))
  t.ok(aside, 'the damaged file is kept for a person to look at')
  t.equal(readFileSync(join(dir, aside!), 'utf8'), '{"format":1,"sessions":[')
})

t.test('the cache uses entries younger than the TTL only, and 0 turns it off', async t => {
  const { log } = quiet()
  const local = new LocalStore(scratchDir('tdbroker-store-'), log)
  let ttl = 60
  const cache = new ResolveCache({
    local,
    rememberUser: u => { local.putUser({ ...u, updated: Date.now() }) },
    rememberUsername: n => { local.putUsername({ ...n, resolved: Date.now() }) },
  }, () => ttl)
  cache.putUsername({ username: 'fresh_name', chat_id: 10 })
  local.putUsername({ username: 'old_name', chat_id: 11, resolved: Date.now() - 120_000 })
  cache.putUser({ user_id: 12, phone: '5551234', is_bot: true })
  t.equal(cache.username('fresh_name')?.chat_id, 10)
  t.equal(cache.username('old_name'), undefined, 'older than the TTL')
  t.equal(cache.phone('5551234')?.is_bot, true)
  ttl = 0
  t.equal(cache.username('fresh_name'), undefined, 'resolve_cache_ttl 0: never from the cache')
  t.same(cache.stats, { hits: 2, misses: 2 })
})

/**
 * Encryption at rest on real TDLib: a folder made with one key does not open
 * with another (the attach says why), and a folder moves to the current key
 * (from none, or from tdlib.previous_database_encryption_key).
 */
import t from 'tap'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { databaseKey, keyId } from '../../src/session/database-key.js'
import { META_FILE } from '../../src/session/meta.js'

const KEY_A = 'key-A-0123456789abcdef0123456789'
const KEY_B = 'key-B-fedcba9876543210fedcba9876'

const waitPhone = (session: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session &&
  (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitPhoneNumber'

const metaOf = (dir: string, session: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(dir, 'sessions', session, META_FILE), 'utf8')) as Record<string, unknown>

/** Starts a broker on `dir` with these keys, attaches to `session` (or creates one), and stops. */
async function attachWith (dir: string, keys: Record<string, string>, session?: string): Promise<{ session: string, answer: Msg, logs: Array<Record<string, unknown>> }> {
  const b = await startBroker({ tdlib: keys }, { dir })
  const c = await TestClient.connect(b.port)
  try {
    if (session === undefined) {
      const created = await c.createSession()
      await c.waitFor(waitPhone(created))
      return { session: created, answer: { '@type': 'broker.attached' }, logs: b.logs.records }
    }
    const answer = await c.request({ '@type': 'broker.attachSession', session }, 30_000)
    if (answer['@type'] === 'broker.attached') await c.waitFor(waitPhone(session))
    return { session, answer, logs: b.logs.records }
  } finally {
    c.close()
    await b.stop()
  }
}

t.test('a folder made with key A does not open with key B: SESSION_START_FAILED says which keys were tried', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session } = await attachWith(dir, { database_encryption_key: KEY_A })
  t.equal(metaOf(dir, session).database_key, keyId(KEY_A), 'the meta file records the key id')
  t.notOk(readFileSync(join(dir, 'sessions', session, META_FILE), 'utf8').includes(KEY_A), 'and not the key')

  const wrong = await attachWith(dir, { database_encryption_key: KEY_B }, session)
  t.equal(wrong.answer['@type'], 'error')
  t.equal(wrong.answer.code, 500)
  t.match(wrong.answer.message, /^SESSION_START_FAILED: session \d+: its TDLib database is encrypted with a key the settings do not have \(its meta file records key id [0-9a-f]{16}\): TDLib answered "Wrong database encryption key" to tdlib\.database_encryption_key, no key\. Set tdlib\.database_encryption_key/)
  const logged = JSON.stringify(wrong.logs)
  t.notOk([KEY_A, KEY_B, databaseKey(KEY_A, '').tdlib, databaseKey(KEY_B, '').tdlib].some(k => logged.includes(k)), 'no key, nor what TDLib gets, in the log')

  const none = await attachWith(dir, {}, session)
  t.match(none.answer.message, /^SESSION_START_FAILED: .*"Wrong database encryption key" to no key\./, 'nor without a key')

  // Rotation: B with A as the previous key opens it, and the folder moves to B.
  const rotated = await attachWith(dir, { database_encryption_key: KEY_B, previous_database_encryption_key: KEY_A }, session)
  t.equal(rotated.answer['@type'], 'broker.attached', 'the previous key opens it')
  t.equal(metaOf(dir, session).database_key, keyId(KEY_B), 'the folder now records key B')
  t.ok(rotated.logs.some(r => r.msg === 'session folder had no login yet: its TDLib database was made anew with the current key'))
  const old = await attachWith(dir, { database_encryption_key: KEY_A }, session)
  t.match(old.answer.message, /^SESSION_START_FAILED: .*Wrong database encryption key/, 'key A no longer opens it')
  const current = await attachWith(dir, { database_encryption_key: KEY_B }, session)
  t.equal(current.answer['@type'], 'broker.attached', 'key B alone does')
})

t.test('a folder without a key (siptg\'s, or from before) moves to the key when one is set', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session } = await attachWith(dir, {})
  t.equal(metaOf(dir, session).database_key, 'none')
  // As siptg leaves it: no record of a key at all.
  const { database_key: _, ...siptgMeta } = metaOf(dir, session)
  writeFileSync(join(dir, 'sessions', session, META_FILE), JSON.stringify(siptgMeta))
  const binlog = join(dir, 'sessions', session, 'td.binlog')
  const plain = readFileSync(binlog)

  const moved = await attachWith(dir, { database_encryption_key: KEY_A }, session)
  t.equal(moved.answer['@type'], 'broker.attached', 'it opens without a key, then moves')
  t.equal(metaOf(dir, session).database_key, keyId(KEY_A))
  t.notSame(readFileSync(binlog), plain, 'td.binlog was written anew')
  const unkeyed = await attachWith(dir, {}, session)
  t.match(unkeyed.answer.message, /^SESSION_START_FAILED: .*"Wrong database encryption key" to no key\./, 'it no longer opens without a key')
  const keyed = await attachWith(dir, { database_encryption_key: KEY_A }, session)
  t.equal(keyed.answer['@type'], 'broker.attached', 'and opens with the key')
})

t.test('TDLib\'s own log at debug_level 3 does not show the database key', async t => {
  const b = await startBroker({ tdlib: { debug_level: 3, database_encryption_key: KEY_A } })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const session = await c.createSession()
  await c.waitFor(waitPhone(session))
  const hex = Buffer.from(databaseKey(KEY_A, '').tdlib, 'base64').toString('hex').toUpperCase().match(/../g)!.join(' ')
  const logged = JSON.stringify(b.logs.records)
  // The dump is there (so the check below looks where the key would be), with the field blanked.
  const dump = b.logs.records.find(r => r.component === 'tdlib' && String(r.msg).includes('setTdlibParameters {'))
  t.ok(dump, 'TDLib logged its setTdlibParameters request at verbosity 3')
  t.match(String(dump?.msg), /database_encryption_key = \[redacted\]/, 'with the key field redacted')
  t.notOk(logged.includes(hex), 'the key bytes are not in the log')
  t.notOk(logged.includes(databaseKey(KEY_A, '').tdlib) || logged.includes(KEY_A), 'nor the key in base64 or as set')
})

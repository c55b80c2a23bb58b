/**
 * A logged-in folder on an older key moves with TDLib's setDatabaseEncryptionKey.
 * Offline, real TDLib cannot log in (and refuses that request before a login),
 * so this runs on the fake backend, which is logged in from the start; what real
 * TDLib answers is in database-key.test.ts.
 */
import t from 'tap'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, tempDir } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'
import { FakeBackend, FakeClient } from '../helpers/fake-backend.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { databaseKey, keyId } from '../../src/session/database-key.js'
import { META_FILE } from '../../src/session/meta.js'

const KEY = 'the-current-key-0123456789abcdef'
const SESSION = '4242424242'

t.test('a logged-in folder without a key gets setDatabaseEncryptionKey with the current key, and the meta file says so', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const folder = join(dir, 'sessions', SESSION)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'td.binlog'), 'made by TDLib without a key')
  writeFileSync(join(folder, META_FILE), JSON.stringify({ seq_reserved: 7 }))
  const backend = new FakeBackend()
  const b = await startBroker({ tdlib: { database_encryption_key: KEY } }, { dir, backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  t.equal((await c.request({ '@type': 'broker.attachSession', session: SESSION }))['@type'], 'broker.attached')
  const requests = backend.client(SESSION).requests
  const params = requests.filter(r => r['@type'] === 'setTdlibParameters')
  t.equal(params.length, 1)
  t.equal(params[0]?.database_encryption_key, '', 'opened with no key, as recorded')
  const move = requests.find(r => r['@type'] === 'setDatabaseEncryptionKey')
  t.equal(move?.new_encryption_key, databaseKey(KEY, '').tdlib, 'moved to the current key')
  t.not(move?.new_encryption_key, KEY, 'TDLib gets the derived key, not the setting')
  const meta = JSON.parse(readFileSync(join(folder, META_FILE), 'utf8')) as Record<string, unknown>
  t.equal(meta.database_key, keyId(KEY))
  t.ok((meta.seq_reserved as number) >= 7, 'the sequence reservation is kept')
})

t.test('a folder in the middle of a login keeps its key until authorizationStateReady, then moves', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const folder = join(dir, 'sessions', SESSION)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'td.binlog'), 'made by TDLib without a key')
  writeFileSync(join(folder, META_FILE), JSON.stringify({ seq_reserved: 0, database_key: 'none' }))
  // TDLib waits for the login code: getAuthorizationState says so, until the test sends Ready.
  class WaitingCode extends FakeClient {
    override async invoke (request: TdObject): Promise<TdObject> {
      if (request['@type'] === 'getAuthorizationState') {
        this.requests.push(request)
        return { '@type': 'authorizationStateWaitCode' }
      }
      return await super.invoke(request)
    }
  }
  const backend = new FakeBackend()
  backend.createClient = (options, events) => {
    const client = new WaitingCode(options, events)
    backend.clients.set(options.sessionId, client)
    return client
  }
  const b = await startBroker({ tdlib: { database_encryption_key: KEY } }, { dir, backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  t.equal((await c.request({ '@type': 'broker.attachSession', session: SESSION }))['@type'], 'broker.attached')
  const fake = backend.client(SESSION)
  t.notOk(fake.requests.some(r => r['@type'] === 'setDatabaseEncryptionKey'), 'no move while the login is under way')
  t.match(b.logs.find(r => r.msg === 'session database is on an older key; it moves to the current one once the login completes'), { state: 'authorizationStateWaitCode' })

  fake.emit({ '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateReady' } })
  const end = Date.now() + 5000
  const meta = (): Record<string, unknown> => JSON.parse(readFileSync(join(folder, META_FILE), 'utf8')) as Record<string, unknown>
  while (meta().database_key !== keyId(KEY) && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(fake.requests.filter(r => r['@type'] === 'setDatabaseEncryptionKey').length, 1, 'moved once logged in')
  t.equal(meta().database_key, keyId(KEY), 'and recorded')
})

/**
 * The audit trail through real sockets: authentication failures, refused
 * requests and session create/attach/detach, each with the client's name,
 * in the log and as JSON lines in audit_file; the file is reopened on
 * reload (log rotation).
 */
import t from 'tap'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { settingsFromObject } from '../../src/settings/load.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { connectAs, keyClient, startBroker, testKey } from '../helpers/clients.js'
import { FakeBackend } from '../helpers/fake-backend.js'

function lines (file: string): Msg[] {
  return readFileSync(file, 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Msg)
}

async function until (cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise(resolve => setTimeout(resolve, 10))
}

t.test('audit records name the client, in the log and in audit_file', async t => {
  const [backendKey, opsKey] = [await testKey(), await testKey()]
  const raw = {
    audit_file: 'audit/audit.jsonl',
    terminate_delay: 3600,
    clients: [keyClient('backend', backendKey), keyClient('ops', opsKey, { allowed_requests: ['testSquareInt'] })]
  }
  const b = await startBroker(raw, { backend: new FakeBackend() })
  t.teardown(b.stop)
  const file = join(b.dir, 'audit/audit.jsonl')

  const intruder = await TestClient.connect(b.port)
  await intruder.request({ '@type': 'broker.authenticate', name: 'ops', key: 'tdbk_guess' })
  await intruder.closedPromise
  b.broker.authThrottle.succeed('127.0.0.1')

  const backend = await connectAs(b.port, 'backend', backendKey)
  const ops = await connectAs(b.port, 'ops', opsKey)
  const session = await backend.createSession()
  await ops.request({ '@type': 'broker.attachSession', session })
  await ops.request({ '@type': 'testCallString', x: 'no', '@session': session })
  await ops.request({ '@type': 'broker.detachSession', session })
  backend.close()
  await until(() => b.broker.registry.get(session)?.memberCount === 0)

  await until(() => existsSync(file) && lines(file).some(r => r.event === 'session.detach' && r.client === 'backend'))
  const records = lines(file)
  const pick = (event: string, client: string): Msg | undefined => records.find(r => r.event === event && r.client === client)
  t.match(pick('auth.failed', 'unauthenticated'), { attempted: 'ops', why: 'wrong key', reason: 'AUTH_FAILED', address: '127.0.0.1', time: String })
  t.match(pick('auth.ok', 'backend'), { method: 'key' })
  t.match(pick('session.create', 'backend'), { session })
  t.match(pick('session.attach', 'backend'), { session })
  t.match(pick('session.attach', 'ops'), { session })
  t.match(pick('request.refused', 'ops'), { type: 'testCallString', session, reason: 'REQUEST_NOT_ALLOWED' })
  t.match(pick('session.detach', 'ops'), { session, reason: 'requested' })
  t.match(pick('session.detach', 'backend'), { session, reason: 'disconnected' })
  t.notOk(readFileSync(file, 'utf8').includes(opsKey.key.slice(5)), 'no key in the audit file')
  t.ok(b.logs.find(r => r.audit === 'request.refused' && r.client === 'ops' && r.type === 'testCallString'), 'the same records are in the log')

  // Rotation: move the file away, reload, and new records go to a new file at the same path.
  renameSync(file, file + '.1')
  const next = settingsFromObject({ ...raw, host: '127.0.0.1', port: 0, tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' } }, b.dir)
  b.broker.reloadClients(next)
  await ops.request({ '@type': 'broker.attachSession', session })
  await ops.request({ '@type': 'testCallString', x: 'still no', '@session': session })
  await until(() => existsSync(file) && lines(file).some(r => r.event === 'request.refused'))
  t.same(lines(file).map(r => r.event), ['clients.reload', 'session.attach', 'request.refused'], 'after a reload the audit file is opened afresh')
  t.equal(lines(file + '.1').length, records.length, 'and the old one was left whole')
  ops.close()
})

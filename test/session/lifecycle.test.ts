/** Session lifecycle on real TDLib: terminate_delay, restarts, start failures. */
import t from 'tap'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'

const waitPhone = (session: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session &&
  (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitPhoneNumber'

async function sessionState (client: TestClient, session: string): Promise<unknown> {
  const list = await client.request({ '@type': 'broker.listSessions' })
  return (list.sessions as Msg[]).find(s => s.session === session)?.state
}

async function until (cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

t.test('the last detach stops the session after terminate_delay; an attach within the delay cancels the stop', async t => {
  const b = await startBroker({ terminate_delay: 0.5 })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const watcher = await TestClient.connect(b.port)
  t.teardown(() => { a.close(); watcher.close() })
  const session = await a.createSession()
  await a.waitFor(waitPhone(session))
  const starts = (): number => b.logs.records.filter(r => r.msg === 'session starting' && r.session === session).length

  // Cancel: detach, re-attach inside the delay.
  t.equal((await a.request({ '@type': 'broker.detachSession', session }))['@type'], 'broker.detached')
  t.equal(await sessionState(watcher, session), 'running', 'still running right after the last detach')
  await a.request({ '@type': 'broker.attachSession', session })
  await new Promise(resolve => setTimeout(resolve, 800))
  t.equal(await sessionState(watcher, session), 'running', 'the re-attach cancelled the stop')
  t.equal(starts(), 1, 'and TDLib was never restarted')

  // Stop: the last client leaves by disconnecting.
  a.close()
  await until(async () => await sessionState(watcher, session) === 'stopped', 'the session stops')
  const stopped = b.logs.find(r => r.msg === 'session stopped' && r.session === session)
  t.equal(stopped?.reason, 'no client attached for terminate_delay')

  // And it starts again on the next attach.
  await watcher.request({ '@type': 'broker.attachSession', session })
  await watcher.waitFor(waitPhone(session))
  t.equal(starts(), 2, 'a new attach starts it again')
})

t.test('with terminate_delay 0 the session stops as soon as the last client leaves', async t => {
  const b = await startBroker({ terminate_delay: 0 })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()
  await a.waitFor(waitPhone(session))
  await a.request({ '@type': 'broker.detachSession', session })
  await until(async () => await sessionState(a, session) === 'stopped', 'the session stops')
  t.pass('stopped')
})

t.test('a restarted broker finds the session folder, knows it stopped, and starts it on attach', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const first = await startBroker({}, { dir })
  const a = await TestClient.connect(first.port)
  const session = await a.createSession()
  await a.waitFor(waitPhone(session))
  a.close()
  await first.stop()
  t.notOk(existsSync(join(dir, 'sessions', '.tdbroker.lock')), 'the folder lock is released on stop')

  mkdirSync(join(dir, 'sessions', 'not-a-session'))
  const second = await startBroker({}, { dir })
  t.teardown(second.stop)
  const c = await TestClient.connect(second.port)
  t.teardown(() => { c.close() })
  const list = await c.request({ '@type': 'broker.listSessions' })
  t.same((list.sessions as Msg[]).map(s => [s.session, s.state]), [[session, 'stopped']], 'known, not started; the stray folder is ignored')
  t.ok(second.logs.find(r => r.msg === 'folder in tdlib.path is not a session id; ignored'), 'and the stray folder is reported')
  await c.request({ '@type': 'broker.attachSession', session })
  await c.waitFor(waitPhone(session))
  t.equal(await sessionState(c, session), 'running')
})

t.test('a second broker on the same folder is refused at once', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const first = await startBroker({}, { dir })
  t.teardown(first.stop)
  await t.rejects(startBroker({}, { dir }), /is in use by another tdbroker \(pid \d+\)/)
})

t.test('a session that cannot start gives the client a clear error; the broker serves everyone else', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const good = await a.createSession()
  const broken = (await a.request({ '@type': 'broker.createSession', attach: false })).session as string
  // A directory where TDLib's binlog file must be: TDLib cannot open the database.
  mkdirSync(join(b.settings.tdlib.path, broken, 'td.binlog'), { recursive: true })
  const r = await a.request({ '@type': 'broker.attachSession', session: broken }, 30_000)
  t.equal(r.code, 500)
  t.match(r.message, /^SESSION_START_FAILED: session \d+: setTdlibParameters failed: 400 .*td\.binlog/)
  t.equal(await sessionState(a, broken), 'stopped')
  const q = await a.request({ '@type': 'testSquareInt', x: 9, '@session': broken })
  t.match(q.message, /^NOT_ATTACHED: /, 'the failed attach left the connection detached')
  t.equal((await a.request({ '@type': 'testSquareInt', x: 9, '@session': good })).value, 81, 'other sessions are served')
})

t.test('a client closing TDLib itself ends the session for every attached client, and it can be restarted', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { a.close(); c.close() })
  const session = await a.createSession()
  await c.request({ '@type': 'broker.attachSession', session })
  await a.request({ '@type': 'close', '@session': session })
  const ended = await c.waitFor(m => m['@type'] === 'broker.sessionClosed')
  t.equal(ended['@session'], session)
  t.match(ended.reason, /TDLib closed the session/)
  await a.waitFor(m => m['@type'] === 'broker.sessionClosed')
  t.equal(await sessionState(a, session), 'stopped')
  await a.request({ '@type': 'broker.attachSession', session })
  await a.waitFor(m => waitPhone(session)(m) && a.received.indexOf(m) > a.received.findIndex(x => x['@type'] === 'broker.sessionClosed'))
  t.equal(await sessionState(a, session), 'running', 'attached again, it runs again')
})

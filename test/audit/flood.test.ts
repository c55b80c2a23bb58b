/**
 * What a client can do to the audit file and the log: strings it supplies
 * are cut at MAX_LOGGED_FIELD characters, and its refusals are recorded one
 * by one only up to a budget, then summarised (docs/clients.md, "Audit").
 * Audit lines name each key once.
 */
import t from 'tap'
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { MAX_LOGGED_FIELD } from '../../src/log/bound.js'
import { REFUSALS_RECORDED, RefusalLimit } from '../../src/audit/refusal-limit.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'
import { tempDir } from '../helpers/broker.js'
import { FakeBackend } from '../helpers/fake-backend.js'

const HUGE = 480 * 1024

function records (file: string): Msg[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Msg) : []
}

/** Every key of a flat JSON line, as often as it occurs in the text (JSON.parse keeps only the last). */
function keysOf (line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map(m => m[1] ?? '')
}

t.test('refusals with a 480 KiB @type and session: each string cut, the flood summarised, the file bounded', async t => {
  const key = await testKey()
  // Our own folder: stop() would remove a folder startBroker made, audit file included.
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const b = await startBroker({ audit_file: 'audit.jsonl', max_frame_size_unauthenticated: 1_048_576, clients: [keyClient('ops', key, { allowed_requests: ['testSquareInt'] })] }, { backend: new FakeBackend(), dir })
  const file = join(dir, 'audit.jsonl')
  let stopped = false
  t.teardown(async () => { if (!stopped) await b.stop() })
  const huge = (c: string): string => c.repeat(HUGE)

  // Ten unauthenticated lines, as in the report (the frame limit before authentication is raised above so
  // that they reach the audit at all: by default the 64 KiB limit refuses them first).
  const stranger = await TestClient.connect(b.port)
  for (let i = 0; i < 10; i++) {
    const r = await stranger.request({ '@type': `${huge('x')}${i}`, '@session': huge('7') }, 20_000)
    t.equal(errorName(r), 'AUTH_REQUIRED')
  }
  stranger.close()

  // An authenticated client whose every request is refused (on a session it may use, so the type is what is refused).
  const ops = await connectAs(b.port, 'ops', key)
  const session = await ops.createSession()
  const FLOOD = 100
  for (let i = 0; i < FLOOD; i++) {
    const r = await ops.request({ '@type': `${huge('y')}${i}`, '@session': session }, 20_000)
    t.equal(errorName(r), 'REQUEST_NOT_ALLOWED', `refusal ${i} still answered`)
  }
  ops.close()
  const beforeStop = statSync(file).size
  stopped = true
  await b.stop()

  const all = records(file)
  const refused = all.filter(r => r.event === 'request.refused')
  t.equal(refused.filter(r => r.client === 'unauthenticated').length, 1, 'an unauthenticated connection is audited once')
  t.equal(refused.filter(r => r.client === 'ops').length, REFUSALS_RECORDED, `the first ${REFUSALS_RECORDED} refusals of a connection are recorded one by one`)
  const cut = (c: string): RegExp => new RegExp(`^${c}{${MAX_LOGGED_FIELD}}…\\[cut: (${HUGE + 1}|${HUGE + 2}) characters\\]$`)
  const first = refused.find(r => r.client === 'unauthenticated')
  t.match(first?.type, cut('x'), 'the unauthenticated @type is cut, saying how long it was')
  t.match(first?.session, new RegExp(`^7{${MAX_LOGGED_FIELD}}…\\[cut: ${HUGE} characters\\]$`), '…and so is its session')
  t.ok(refused.filter(r => r.client === 'ops').every(r => cut('y').test(String(r.type)) && r.session === session), "the client's @type is cut in every record")
  const summary = all.find(r => r.event === 'request.refused.summary')
  t.match(summary, { client: 'ops', suppressed: FLOOD - REFUSALS_RECORDED, last_reason: 'REQUEST_NOT_ALLOWED', conn: String, remote: String }, 'the rest is counted in one summary')
  t.ok(String(summary?.last_type).length < MAX_LOGGED_FIELD + 40, 'the summary cuts the type as well')
  const size = statSync(file).size
  t.ok(size < 40 * 1024, `the audit file grew by ${size} bytes for 110 refusals of ${(2 * HUGE / 1024).toFixed(0)} KiB each (was ${beforeStop} before the summary)`)
  const logged = b.logs.records.filter(r => r.audit === 'request.refused' || r.audit === 'request.refused.summary')
  t.equal(logged.length, 1 + REFUSALS_RECORDED + 1, 'the log has the same records, not one per refusal')
  t.ok(JSON.stringify(logged).length < 40 * 1024, 'and they are as short')
})

t.test('a connection over its budget gets one summary per interval, and its budget back once quiet', async t => {
  const summaries: number[] = []
  let clock = 0
  const limit = new RefusalLimit(s => { summaries.push(s.suppressed) }, 2, 1000, () => clock)
  t.teardown(() => { limit.flush() })
  const fields = { client: 'c', conn: 'c1' }
  t.same([1, 2, 3, 4, 5].map(() => limit.admit('c1', fields)), [true, true, false, false, false], 'two recorded, the rest counted')
  clock = 500
  t.equal(limit.admit('c1', fields), false)
  clock = 1000
  limit.tick()
  t.same(summaries, [4], 'one summary for the four counted')
  t.equal(limit.admit('c1', fields), false, 'still over budget: it kept refusing within the interval')
  clock = 1500
  limit.tick()
  t.same(summaries, [4, 1], 'the next interval has its own summary')
  clock = 3000
  limit.tick()
  t.same(summaries, [4, 1], 'nothing owed, nothing written')
  t.equal(limit.admit('c1', fields), true, 'quiet for a whole interval: the budget is back')
  t.equal(limit.admit('c2', fields), true, 'connections have budgets of their own')
  limit.admit('c1', fields)
  limit.admit('c1', fields)
  limit.flush()
  t.same(summaries, [4, 1, 1], 'flush (on close) writes what is still owed')
})

t.test('an audit line in the log names conn and remote once', async t => {
  const raw: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { raw.push(...chunk.toString('utf8').split('\n').filter(l => l !== '')); done() } })
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const settings = settingsFromObject({ host: '127.0.0.1', port: 0, allowed_requests: ['testSquareInt'], tdlib: { path: 'sessions' } }, dir)
  const broker = new Broker({ settings, backend: new FakeBackend(), logger: pino({ level: 'info' }, sink) })
  await broker.start()
  t.teardown(async () => { await broker.stop('test over') })
  const c = await TestClient.connect(broker.addresses.tcp?.port ?? 0)
  t.teardown(() => { c.close() })
  const session = await c.createSession()
  t.equal(errorName(await c.request({ '@type': 'testCallString', x: 'no', '@session': session })), 'REQUEST_NOT_ALLOWED')
  const deadline = Date.now() + 5000
  while (!raw.some(l => l.includes('"audit":"request.refused"'))) {
    if (Date.now() > deadline) throw new Error('no audit line in the log')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  const line = raw.find(l => l.includes('"audit":"request.refused"')) ?? ''
  const keys = keysOf(line)
  t.ok(keys.includes('conn') && keys.includes('remote') && keys.includes('client') && keys.includes('type'), `the line has its context: ${line}`)
  t.same(keys.filter((k, i) => keys.indexOf(k) !== i), [], 'no key appears twice')
})

/**
 * Sequence numbers across broker restarts: they keep increasing (a clean
 * stop records the exact last one; a crash falls back on the reservation
 * on disk, so none is reused), and buffered updates do not survive, which
 * a resuming client is told.
 */
import t from 'tap'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { META_FILE } from '../../src/session/meta.js'
import { RESERVE } from '../../src/resume/sequence.js'
import { FakeBackend, counted } from '../helpers/fake-backend.js'
import { startBroker, tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'

const settings = { allowed_updates: ['updateOption'], terminate_delay: 3600 }

/** Five updates, then a clean stop with the client still attached: it sees everything, closing states included. */
async function firstRun (dir: string): Promise<{ session: string, lastSeen: number, reservedWhileRunning: unknown }> {
  const backend = new FakeBackend()
  const b = await startBroker(settings, { dir, backend })
  const a = await TestClient.connect(b.port)
  const session = await a.createSession()
  for (let n = 1; n <= 5; n++) backend.client(session).emit(counted(n))
  await a.waitFor(m => m['@type'] === 'updateOption' && (m.value as Msg).value === '5')
  const reservedWhileRunning = JSON.parse(readFileSync(join(b.settings.tdlib.path, session, META_FILE), 'utf8'))
  await b.stop()
  await a.closedPromise
  const seqs = a.updates(session).map(m => m['@seq'] as number)
  return { session, lastSeen: Math.max(...seqs), reservedWhileRunning }
}

t.test('after a clean restart numbering goes on from the last number, and a client that saw it has missed nothing', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session, lastSeen, reservedWhileRunning } = await firstRun(dir)
  t.match(reservedWhileRunning, { seq_reserved: Number }, 'a reservation is on disk while the session runs')
  t.ok((reservedWhileRunning as Msg).seq_reserved as number >= lastSeen + RESERVE / 2, 'ahead of the numbers in use')
  const meta = JSON.parse(readFileSync(join(dir, 'sessions', session, META_FILE), 'utf8'))
  t.same(meta, { seq_reserved: lastSeen, database_key: 'none' }, 'a clean stop writes the exact last number (and the folder has no database key)')

  const backend = new FakeBackend()
  const b = await startBroker(settings, { dir, backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen })
  t.same(answer.resume, { complete: true, first_available_seq: lastSeen + 1, replayed: 0 })
  backend.client(session).emit(counted(6))
  const sixth = await c.waitFor(m => m['@type'] === 'updateOption')
  t.ok(c.updates(session).every(m => (m['@seq'] as number) > lastSeen), 'every new number is above the old ones')
  t.ok((sixth['@seq'] as number) > lastSeen)

  const late = await TestClient.connect(b.port)
  t.teardown(() => { late.close() })
  const behind = await late.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen - 2 })
  t.same(behind.resume, { complete: false, first_available_seq: lastSeen + 1, replayed: c.updates(session).length })
  t.same(late.received[0], { '@type': 'broker.updatesLost', '@session': session, from_seq: lastSeen - 1, to_seq: lastSeen },
    'updates buffered before the restart are gone, and the client is told which')
})

t.test('after a crash numbering resumes above the reservation, so no number is ever reused', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session, lastSeen, reservedWhileRunning } = await firstRun(dir)
  // A crash leaves the file as it was while running: the clean stop's exact number never got written.
  writeFileSync(join(dir, 'sessions', session, META_FILE), JSON.stringify(reservedWhileRunning))
  const reserved = (reservedWhileRunning as Msg).seq_reserved as number

  const backend = new FakeBackend()
  const b = await startBroker(settings, { dir, backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen })
  t.same(answer.resume, { complete: false, first_available_seq: reserved + 1, replayed: 0 }, 'the broker cannot know what it sent before the crash, and says so')
  t.same(c.received[0], { '@type': 'broker.updatesLost', '@session': session, from_seq: lastSeen + 1, to_seq: reserved })
  const state = await c.waitFor(m => m['@type'] === 'updateAuthorizationState')
  t.equal(state['@seq'], reserved + 1, 'the first number after the crash is above every reserved one')
})

t.test('an unreadable meta file makes numbering jump far ahead rather than risk reuse, and is logged', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session, lastSeen } = await firstRun(dir)
  writeFileSync(join(dir, 'sessions', session, META_FILE), '{"seq_reserved": "oops"')
  const before = Date.now()
  const b = await startBroker(settings, { dir, backend: new FakeBackend() })
  t.teardown(b.stop)
  t.ok(b.logs.find(r => r.msg.startsWith('session meta file unusable')), 'logged')
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  await c.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen })
  const state = await c.waitFor(m => m['@type'] === 'updateAuthorizationState')
  t.ok((state['@seq'] as number) > before, 'numbering starts above the current time in milliseconds')
})

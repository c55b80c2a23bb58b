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
import { connectAs, keyClient, testKey } from '../helpers/clients.js'
import type { TdObject } from '../../src/tdlib/backend.js'

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
  t.same(meta, { seq_reserved: lastSeen, database_key: 'none', backend: 'tdlib' }, 'a clean stop writes the exact last number, the folder\'s database key id (none) and its backend')

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
  // lastSeen - 1 is the fifth updateOption; lastSeen the closing authorization state, which the
  // restarted session's own state replaces, so it is no loss.
  t.same(late.received[0], { '@type': 'broker.updatesLost', '@session': session, from_seq: lastSeen - 1, to_seq: lastSeen - 1 },
    'updates buffered before the restart are gone, and the client is told which')
})

/**
 * A client that saw five updates leaves; the session then produces `missed`
 * (which the client never sees), and the broker stops cleanly. Returns the
 * last number the client saw and the session's last number.
 */
async function leaveThenRestart (dir: string, missed: TdObject[]): Promise<{ session: string, lastSeen: number }> {
  const backend = new FakeBackend()
  const b = await startBroker(settings, { dir, backend })
  const a = await TestClient.connect(b.port)
  const session = await a.createSession()
  for (let n = 1; n <= 5; n++) backend.client(session).emit(counted(n))
  await a.waitFor(m => m['@type'] === 'updateOption' && (m.value as Msg).value === '5')
  const lastSeen = Math.max(...a.updates(session).map(m => m['@seq'] as number))
  a.close()
  await a.closedPromise
  for (const u of missed) backend.client(session).emit(u)
  await b.stop()
  return { session, lastSeen }
}

const filtered = { '@type': 'updateNewMessage', message: { '@type': 'message', id: 1, chat_id: 10 } }

t.test('after a clean restart, a client that missed only updates its filters drop has lost nothing', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session, lastSeen } = await leaveThenRestart(dir, [filtered, filtered])
  const meta = JSON.parse(readFileSync(join(dir, 'sessions', session, META_FILE), 'utf8'))
  t.equal(meta.seq_reserved, lastSeen + 3, 'two filtered updates and the closing state came after what the client saw')

  const backend = new FakeBackend()
  const b = await startBroker(settings, { dir, backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen })
  t.same(answer.resume, { complete: true, first_available_seq: lastSeen + 4, replayed: 0 })
  backend.client(session).emit(counted(6))
  await c.waitFor(m => m['@type'] === 'updateOption')
  t.notOk(c.received.some(m => m['@type'] === 'broker.updatesLost'), 'no loss notice')
  t.equal(c.received.find(m => m['@type'] === 'updateAuthorizationState')?.['@seq'], lastSeen + 4, 'the restarted state comes live')
})

t.test('after a clean restart, a missed update the client would have received is still reported, exactly', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session, lastSeen } = await leaveThenRestart(dir, [filtered, counted(6), filtered])

  const b = await startBroker(settings, { dir, backend: new FakeBackend() })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen })
  t.same(answer.resume, { complete: false, first_available_seq: lastSeen + 5, replayed: 0 })
  t.same(c.received[0], { '@type': 'broker.updatesLost', '@session': session, from_seq: lastSeen + 2, to_seq: lastSeen + 2 },
    'the one allowed update, and nothing it would have dropped')

  // A client that had seen nothing at all has lost the five options too (1 and 2 are the
  // first run's states, which the restarted session's states replace).
  const d = await TestClient.connect(b.port)
  t.teardown(() => { d.close() })
  const behind = await d.request({ '@type': 'broker.attachSession', session, last_seq: 0 })
  t.equal((behind.resume as Msg).complete, false)
  t.match(d.received[0], { '@type': 'broker.updatesLost', from_seq: 3, to_seq: lastSeen + 2 })
})

t.test('a saved index that does not end where numbering goes on (a crash after it) is not trusted', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const { session, lastSeen } = await leaveThenRestart(dir, [filtered])
  // As if a later run reserved numbers and crashed: the meta file is ahead of the saved index.
  writeFileSync(join(dir, 'sessions', session, META_FILE), JSON.stringify({ seq_reserved: lastSeen + 100 }))

  const b = await startBroker(settings, { dir, backend: new FakeBackend() })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen })
  t.same(answer.resume, { complete: false, first_available_seq: lastSeen + 101, replayed: 0 })
  t.same(c.received[0], { '@type': 'broker.updatesLost', '@session': session, from_seq: lastSeen + 1, to_seq: lastSeen + 100 },
    'what the crashed run may have sent is unknown, so it counts as lost')
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

t.test('after a clean restart, a chat-scoped client has lost only what was about its chats', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const [allKey, chatKey] = [await testKey(), await testKey()]
  const scoped = {
    allowed_updates: ['updateNewMessage'],
    terminate_delay: 3600,
    clients: [keyClient('backend', allKey), keyClient('desk', chatKey, { chats: [10] })]
  }
  const newMessage = (chatId: number): TdObject => ({ '@type': 'updateNewMessage', message: { '@type': 'message', id: chatId, chat_id: chatId } })
  const backend = new FakeBackend()
  const b = await startBroker(scoped, { dir, backend })
  const all = await connectAs(b.port, 'backend', allKey)
  const session = await all.createSession()
  await all.waitFor(m => m['@type'] === 'updateConnectionState')
  backend.client(session).emit(newMessage(11)) // seq 3: not about chat 10
  backend.client(session).emit(newMessage(12)) // seq 4
  backend.client(session).emit(newMessage(10)) // seq 5: chat 10
  backend.client(session).emit(newMessage(11)) // seq 6
  await all.waitFor(m => m['@type'] === 'updateNewMessage' && all.updates(session, 'updateNewMessage').length === 4)
  t.same(all.updates(session, 'updateNewMessage').map(m => m['@seq']), [3, 4, 5, 6])
  await b.stop()

  const again = await startBroker(scoped, { dir, backend: new FakeBackend() })
  t.teardown(again.stop)
  const clean = await connectAs(again.port, 'desk', chatKey)
  t.teardown(() => { clean.close() })
  const nothing = await clean.request({ '@type': 'broker.attachSession', session, last_seq: 5 })
  t.equal((nothing.resume as Msg).complete, true, 'it saw chat 10 at seq 5; seq 6 was about chat 11')
  t.notOk(clean.received.some(m => m['@type'] === 'broker.updatesLost'))
  const behind = await connectAs(again.port, 'desk', chatKey)
  t.teardown(() => { behind.close() })
  const lost = await behind.request({ '@type': 'broker.attachSession', session, last_seq: 2 })
  t.equal((lost.resume as Msg).complete, false)
  t.same(behind.received.filter(m => m['@type'] === 'broker.updatesLost'), [{ '@type': 'broker.updatesLost', '@session': session, from_seq: 5, to_seq: 5 }],
    'only the message in chat 10')
})

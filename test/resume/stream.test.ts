/**
 * Lossless resume through real sockets: a client whose connection drops at
 * random points of a 10,000-update stream re-attaches with the last @seq it
 * saw, and ends up with every update exactly once, in order. A gap larger
 * than the buffer is reported, never hidden.
 */
import t from 'tap'
import { setImmediate as tick } from 'node:timers/promises'
import { FakeBackend, counted } from '../helpers/fake-backend.js'
import { startBroker } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'
import { seeded, StreamClient, type Msg } from '../helpers/stream-client.js'

const TOTAL = 10_000

t.test('drops at random points of a 10,000-update stream lose and duplicate nothing', async t => {
  const seed = Number(process.env.RESUME_SEED ?? 20240611)
  t.comment(`seed ${seed} (set RESUME_SEED to repeat a run)`)
  const random = seeded(seed)
  const backend = new FakeBackend()
  const b = await startBroker({ allowed_updates: ['updateOption'], update_buffer_size: 20_000, terminate_delay: 3600 }, { backend })
  t.teardown(b.stop)
  const owner = await TestClient.connect(b.port)
  const session = await owner.createSession()
  await owner.request({ '@type': 'broker.detachSession', session })
  owner.close()

  const values: number[] = []
  const seqs: number[] = []
  let lastSeq: number | undefined
  t.teardown(() => { if (values.length < TOTAL) t.comment(`missing: ${JSON.stringify(Array.from({ length: TOTAL }, (_, i) => i + 1).filter(v => !values.includes(v)).slice(0, 20))}`) })
  let dropAfter = 1 + Math.floor(random() * 1500)
  let drops = 0
  const resumes: Msg[] = []
  const onMessage = (m: Msg, client: StreamClient): void => {
    if (m['@session'] !== session || typeof m['@seq'] !== 'number') return
    seqs.push(m['@seq'])
    lastSeq = m['@seq']
    if (m['@type'] === 'updateOption') values.push(Number(m.value.value))
    if (--dropAfter === 0) {
      client.drop()
      drops++
      dropAfter = 1 + Math.floor(random() * 1500)
    }
  }

  let produced = 0
  const producer = (async () => {
    await tick()
    while (produced < TOTAL) {
      const batch = Math.min(TOTAL - produced, 1 + Math.floor(random() * 200))
      for (let i = 0; i < batch; i++) backend.client(session).emit(counted(++produced))
      await tick()
    }
  })()

  let attachments = 0
  while (values.length === 0 || values[values.length - 1]! < TOTAL) {
    const client = await StreamClient.connect(b.port, onMessage)
    // The first attach has seen nothing yet: last_seq 0 asks for everything the session has produced.
    const attach: Msg = { '@type': 'broker.attachSession', session, last_seq: lastSeq ?? 0, '@extra': ++attachments }
    const answer = await client.request(attach)
    if (answer === undefined || client.isDropped) continue // dropped while the replay was still arriving
    if (answer['@type'] !== 'broker.attached') t.fail(`attach ${attachments}: ${JSON.stringify(answer)}`)
    if (answer.resume !== undefined) resumes.push(answer.resume)
    // Stay until dropped, or until everything has arrived.
    while (!client.isDropped && (values.length === 0 || values[values.length - 1]! < TOTAL)) await tick()
    if (!client.isDropped) client.close()
    // Let the producer run on a little before coming back, sometimes.
    for (let i = Math.floor(random() * 4); i > 0; i--) await tick()
  }
  await producer

  t.ok(drops >= 5, `the connection was dropped ${drops} times`)
  t.equal(values.length, TOTAL, 'as many updates as were produced')
  t.ok(values.every((v, i) => v === i + 1), 'every update exactly once, in order')
  t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'sequence numbers only increase: no update arrived twice')
  t.ok(attachments > drops, `${attachments} attachments`)
  t.ok(resumes.length > 0 && resumes.every(r => r.complete === true), 'every resume was complete (the buffer held the gap)')
})

t.test('a gap past the buffer is reported: broker.updatesLost, then what is held, then live updates', async t => {
  const backend = new FakeBackend()
  const b = await startBroker({ allowed_updates: ['updateOption'], update_buffer_size: 100, terminate_delay: 3600 }, { backend })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const session = await a.createSession()
  for (let n = 1; n <= 10; n++) backend.client(session).emit(counted(n))
  const tenth = await a.waitFor(m => m['@type'] === 'updateOption' && (m.value as Msg).value === '10')
  const seen = tenth['@seq'] as number
  a.close()
  await a.closedPromise

  for (let n = 11; n <= 510; n++) backend.client(session).emit(counted(n))
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: seen })
  const firstHeld = seen + 500 - 100 + 1
  t.same(answer.resume, { complete: false, first_available_seq: firstHeld, replayed: 100 })
  t.equal(answer.last_seq, seen + 500)
  const lost = c.received.find(m => m['@type'] === 'broker.updatesLost')
  t.same(lost, { '@type': 'broker.updatesLost', '@session': session, from_seq: seen + 1, to_seq: firstHeld - 1 })
  t.equal(c.received.indexOf(lost!), 0, 'the notice comes before any replayed update')
  const replayed = c.updates(session, 'updateOption').map(m => Number((m.value as Msg).value))
  t.same(replayed, Array.from({ length: 100 }, (_, i) => 411 + i), 'then the 100 updates still held, in order')

  backend.client(session).emit(counted(511))
  const live = await c.waitFor(m => m['@type'] === 'updateOption' && (m.value as Msg).value === '511')
  t.equal(live['@seq'], seen + 501, 'then live updates')
})

t.test('last_seq: validated, ahead of the session refused, an already attached connection gets no replay', async t => {
  const backend = new FakeBackend()
  const b = await startBroker({ allowed_updates: ['updateOption'] }, { backend })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { a.close(); c.close() })
  const session = await a.createSession()
  backend.client(session).emit(counted(1))
  await a.waitFor(m => m['@type'] === 'updateOption')
  const latest = (await a.request({ '@type': 'broker.attachSession', session })).last_seq as number

  for (const bad of [-1, 1.5, '3', null, 2 ** 60]) {
    const r = await c.request({ '@type': 'broker.attachSession', session, last_seq: bad })
    t.match(r.message, /^INVALID_REQUEST: last_seq must be a whole number/, `last_seq ${JSON.stringify(bad)}`)
  }
  const ahead = await c.request({ '@type': 'broker.attachSession', session, last_seq: latest + 5 })
  t.equal(ahead.code, 400)
  t.match(ahead.message, /^LAST_SEQ_AHEAD: /)
  const notAttached = await c.request({ '@type': 'testSquareInt', x: 2, '@session': session })
  t.match(notAttached.message, /^NOT_ATTACHED: /, 'the refused attach left the connection detached')

  const again = await a.request({ '@type': 'broker.attachSession', session, last_seq: 0 })
  t.same(again.resume, { complete: true, first_available_seq: 1, replayed: 0 }, 'attached already: nothing is replayed twice')
  t.equal(a.updates(session, 'updateOption').length, 1)
})

t.test('the buffer outlives a session stop within the process: a resume spans the restart of the session', async t => {
  const backend = new FakeBackend()
  const b = await startBroker({ allowed_updates: ['updateOption'], terminate_delay: 0 }, { backend })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  const session = await a.createSession()
  backend.client(session).emit(counted(1))
  const first = await a.waitFor(m => m['@type'] === 'updateOption')
  backend.client(session).emit(counted(2)) // sent, but this client will not have seen it
  await a.request({ '@type': 'broker.detachSession', session })
  while (b.broker.registry.get(session)?.state !== 'stopped') await new Promise(resolve => setTimeout(resolve, 10))

  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const answer = await c.request({ '@type': 'broker.attachSession', session, last_seq: first['@seq'] })
  t.equal((answer.resume as Msg).complete, true)
  const got = c.updates(session)
  t.equal(got[0]?.['@type'], 'updateOption', 'first the update missed before the stop')
  t.equal((got[0]?.value as Msg).value, '2')
  t.ok(got.every((m, i) => i === 0 || (m['@seq'] as number) > (got[i - 1]!['@seq'] as number)), 'then the new run, numbered on')
  t.ok(got.some(m => m['@type'] === 'updateAuthorizationState'), 'the new run reports its state live')
})

/**
 * The update and resume counters: updates delivered and filtered per
 * connection, replays on resume and a resume that lost updates.
 */
import t from 'tap'
import { FakeBackend, counted } from '../helpers/fake-backend.js'
import { startBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { metric } from './helpers.js'

/** Is `m` the counted update with value `n`? */
const option = (n: number) => (m: Msg): boolean => m['@type'] === 'updateOption' && Number((m.value as Msg | undefined)?.value) === n

t.test('updates delivered and filtered, resume replays and losses are counted', async t => {
  const backend = new FakeBackend()
  const b = await startBroker({ admin: { port: 0 }, allowed_updates: ['updateOption'], update_buffer_size: 3, terminate_delay: 3600 }, { backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const session = await c.createSession()
  const before = { delivered: await metric(b.broker, 'tdbroker_updates_total', { result: 'delivered' }), filtered: await metric(b.broker, 'tdbroker_updates_total', { result: 'filtered' }) }

  backend.client(session).emit(counted(1))
  backend.client(session).emit({ '@type': 'updateNewMessage', message: { chat_id: 5 } })
  await c.waitFor(option(1))
  t.equal(await metric(b.broker, 'tdbroker_updates_total', { result: 'delivered' }), before.delivered + 1, 'the whitelisted update was delivered')
  t.equal(await metric(b.broker, 'tdbroker_updates_total', { result: 'filtered' }), before.filtered + 1, 'the other one filtered')
  const seen = (await c.waitFor(option(1)))['@seq'] as number
  await c.request({ '@type': 'broker.detachSession', session })

  // Two updates while detached: within the buffer of 3, a resume replays both.
  backend.client(session).emit(counted(2))
  backend.client(session).emit(counted(3))
  const again = await c.request({ '@type': 'broker.attachSession', session, last_seq: seen })
  t.match(again.resume, { complete: true, replayed: 2 })
  t.equal(await metric(b.broker, 'tdbroker_resume_replayed_updates_total'), 2, 'replays counted')
  t.equal(await metric(b.broker, 'tdbroker_resume_losses_total'), 0, 'no loss yet')
  const last = (await c.waitFor(option(3)))['@seq'] as number
  await c.request({ '@type': 'broker.detachSession', session })

  // Five while detached: more than the buffer holds, so the resume is incomplete.
  for (let i = 4; i <= 8; i++) backend.client(session).emit(counted(i))
  const lossy = await c.request({ '@type': 'broker.attachSession', session, last_seq: last })
  t.match(lossy.resume, { complete: false })
  t.equal(await metric(b.broker, 'tdbroker_resume_losses_total'), 1, 'the loss counted')
})

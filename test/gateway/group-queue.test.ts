/**
 * A consumer group's queue on its own (group.ts through UpdateQueue): chats
 * stay with one instance, new chats are dealt out among waiting instances,
 * offset confirms only the caller's updates, a silent instance's chats move
 * (renumbered, in order) after the handover time, a second poll of one
 * instance gets 409, and owners survive a restart.
 */
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { Departure } from '../../src/gateway/departure.js'
import { UpdateQueue } from '../../src/gateway/queue.js'
import { tempDir } from '../helpers/broker.js'
import { LogSink } from '../helpers/log-sink.js'

type U = Record<string, any>
const texts = (updates: U[]): string[] => updates.map(u => u.message.text)
const ids = (updates: U[]): number[] => updates.map(u => u.update_id)

function groupQueue (handoverMs: number, file = join(tempDir('tdbroker-group-'), 'q.json')): { queue: UpdateQueue, logs: LogSink, file: string } {
  const logs = new LogSink()
  return { queue: new UpdateQueue(file, 1000, pino(logs), handoverMs), logs, file }
}

const push = (q: UpdateQueue, chat: number, text: string): void => { q.push('message', { text }, chat) }

t.test('chats stay with their instance; offset confirms only the caller\'s updates', async t => {
  const { queue } = groupQueue(60_000)
  t.teardown(async () => { await queue.close() })
  push(queue, 1, 'a1')
  push(queue, 2, 'b1')
  const x = await queue.take(undefined, 100, 0, undefined, { instance: 'x' })
  t.same(texts(x), ['a1', 'b1'], 'nobody else waits: x takes both new chats')
  push(queue, 1, 'a2')
  push(queue, 3, 'c1')
  const y = await queue.take(undefined, 100, 0, undefined, { instance: 'y' })
  t.same(texts(y), ['c1'], 'y gets only the chat nobody owns')
  const y2 = await queue.take(Math.max(...ids(y)) + 1, 100, 0, undefined, { instance: 'y' })
  t.same(texts(y2), [], "y's offset confirmed its own update")
  const x2 = await queue.take(undefined, 100, 0, undefined, { instance: 'x' })
  t.same(texts(x2), ['a1', 'b1', 'a2'], "x's unconfirmed updates are still x's, with chat 1's next one, in order")
  // y's offset was above x's updates: they are still there.
  t.equal(queue.pendingCount, 3)
  const x3 = await queue.take(Math.max(...ids(x2)) + 1, 100, 0, undefined, { instance: 'x' })
  t.same(x3, [], 'x confirmed')
  t.equal(queue.pendingCount, 0)
})

t.test('new chats are dealt out among waiting instances', async t => {
  const { queue } = groupQueue(60_000)
  t.teardown(async () => { await queue.close() })
  const polls = ['p', 'q', 'r'].map(async instance => ({ instance, got: await queue.take(undefined, 100, 10_000, undefined, { instance }) }))
  // All three wait (nothing is queued); one burst of three new chats.
  await new Promise(resolve => setImmediate(resolve))
  push(queue, 10, 'ten')
  push(queue, 20, 'twenty')
  push(queue, 30, 'thirty')
  const results = await Promise.all(polls)
  const owners = new Map<string, string>()
  for (const { instance, got } of results) for (const text of texts(got)) owners.set(text, instance)
  t.same([...owners.keys()].sort(), ['ten', 'thirty', 'twenty'], 'every update went out')
  t.equal(new Set(owners.values()).size, 3, 'each waiting instance got one of the new chats')
})

t.test('a silent instance hands its chats over, renumbered and in order', async t => {
  const { queue, logs } = groupQueue(300)
  t.teardown(async () => { await queue.close() })
  push(queue, 1, 'a1')
  push(queue, 1, 'a2')
  const x = await queue.take(undefined, 1, 0, undefined, { instance: 'x' })
  t.same(texts(x), ['a1'])
  push(queue, 2, 'b1')
  const y = await queue.take(undefined, 100, 0, undefined, { instance: 'y' })
  t.same(texts(y), ['b1'], 'x is alive: chat 1 stays with it')
  // y waits; x stays silent past the handover time; the handover wakes y.
  const started = Date.now()
  const moved = await queue.take(Math.max(...ids(y)) + 1, 100, 20_000, undefined, { instance: 'y' })
  t.same(texts(moved), ['a1', 'a2'], 'chat 1 moved to y, in order, the unconfirmed a1 included')
  t.ok(Date.now() - started < 15_000, 'the handover woke the waiting poll before its timeout')
  t.ok(Math.min(...ids(moved)) > Math.max(...ids(y)), 'moved updates have new ids, above what y confirmed')
  t.ok(logs.records.some(l => l.msg === 'consumer group: chats of a silent instance handed over'), 'the handover is logged')
  push(queue, 1, 'a3')
  const y2 = await queue.take(Math.max(...ids(moved)) + 1, 100, 0, undefined, { instance: 'y' })
  t.same(texts(y2), ['a3'], 'chat 1 is now y\'s')
  const late = await queue.take(Math.max(...ids(x)) + 1, 100, 0, undefined, { instance: 'x' })
  t.same(texts(late), [], 'x, back, gets nothing of chat 1 and its old offset confirms nothing of y\'s')
  t.equal(queue.pendingCount, 1, "y's a3 is still pending")
})

t.test('one instance polling twice gets 409; instance names are required and only for groups', async t => {
  const { queue } = groupQueue(60_000)
  t.teardown(async () => { await queue.close() })
  const first = queue.take(undefined, 100, 10_000, undefined, { instance: 'x' }).then(() => 'answered', (e: any) => `${String(e.code)} ${String(e.description)}`)
  const other = queue.take(undefined, 100, 10_000, undefined, { instance: 'y' }).then(() => 'answered', (e: any) => String(e.code))
  await new Promise(resolve => setImmediate(resolve))
  const second = queue.take(undefined, 100, 0, undefined, { instance: 'x' })
  t.match(await first, /^409 Conflict: terminated by other getUpdates request/, 'the older poll of x ends with 409')
  t.same(await second, [])
  push(queue, 5, 'five')
  t.equal(await other, 'answered', "y's poll went on waiting and got the update")
  await t.rejects(queue.take(undefined, 100, 0, undefined), { code: 400, description: /consumer group's: each instance must name itself/ })
  const plain = new UpdateQueue(join(tempDir('tdbroker-group-'), 'p.json'), 10, pino(new LogSink()))
  await t.rejects(plain.take(undefined, 100, 0, undefined, { instance: 'x' }), { code: 400, description: /only for consumer groups/ })
  await plain.close()
})

t.test('an aborted poll does not take updates', async t => {
  const { queue } = groupQueue(60_000)
  t.teardown(async () => { await queue.close() })
  const gone = new Departure()
  const poll = queue.take(undefined, 100, 10_000, undefined, { instance: 'x', departure: gone })
  await new Promise(resolve => setImmediate(resolve))
  gone.leave()
  t.same(await poll, [], 'the aborted poll ends empty')
  push(queue, 1, 'a1')
  t.same(texts(await queue.take(undefined, 100, 0, undefined, { instance: 'y' })), ['a1'], 'the update is there for another instance')
})

t.test('owners survive a restart', async t => {
  const { queue, file } = groupQueue(60_000)
  push(queue, 1, 'a1')
  t.same(texts(await queue.take(undefined, 100, 0, undefined, { instance: 'x' })), ['a1'])
  await queue.close()
  const again = new UpdateQueue(file, 1000, pino(new LogSink()), 60_000)
  await again.load()
  t.teardown(async () => { await again.close() })
  push(again, 1, 'a2')
  t.same(texts(await again.take(undefined, 100, 0, undefined, { instance: 'y' })), [], 'chat 1 is still x\'s after the restart')
  t.same(texts(await again.take(undefined, 100, 0, undefined, { instance: 'x' })), ['a1', 'a2'])
})

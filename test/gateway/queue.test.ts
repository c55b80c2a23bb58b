/**
 * The queue on its own: offsets, negative offsets, limit, the bound, and a
 * broken file moved aside rather than stopping the broker.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { Departure } from '../../src/gateway/departure.js'
import { UpdateQueue, updateJson } from '../../src/gateway/queue.js'
import { tempDir } from '../helpers/broker.js'
import { LogSink } from '../helpers/log-sink.js'

const ids = (updates: Array<Record<string, unknown>>): unknown[] => updates.map(u => u.update_id)

t.test('offsets, limit, bound, persistence', async t => {
  const dir = tempDir('tdbroker-queue-')
  const file = join(dir, 'q.json')
  const logs = new LogSink()
  const queue = new UpdateQueue(file, 5, pino(logs))
  for (let i = 0; i < 7; i++) queue.push('message', { text: String(i) })
  t.same(ids(await queue.take(undefined, 100, 0, undefined)), [3, 4, 5, 6, 7], 'max_queue keeps the newest')
  t.ok(logs.records.some(l => l.msg === 'Bot API queue full: oldest updates dropped'), 'the drop is logged')
  t.same(ids(await queue.take(5, 2, 0, undefined)), [5, 6], 'offset confirms, limit bounds')
  t.same(ids(await queue.take(-1, 100, 0, undefined)), [7], 'a negative offset keeps the last ones')
  queue.push('callback_query', {})
  t.same(ids(await queue.take(undefined, 100, 0, ['message'])), [7, 8], 'allowed_updates applies to what comes after')
  queue.push('callback_query', {})
  t.same(ids(await queue.take(undefined, 100, 0, undefined)), [7, 8], 'a kind not allowed is not queued, and the setting stays')
  await queue.close()

  const again = new UpdateQueue(file, 5, pino(logs))
  await again.load()
  t.same(ids(await again.take(undefined, 100, 0, undefined)), [7, 8], 'read back')
  again.push('message', {})
  t.same(ids(await again.take(undefined, 100, 0, undefined)), [7, 8, 9], 'numbering goes on')
  await again.close()
})

t.test('a broken file is moved aside', async t => {
  const dir = tempDir('tdbroker-queue-')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'q.json')
  writeFileSync(file, '{not json')
  const logs = new LogSink()
  const queue = new UpdateQueue(file, 10, pino(logs))
  await queue.load()
  t.equal(queue.pendingCount, 0)
  t.ok(readdirSync(dir).some(name => name.startsWith('q.json.broken-')), 'kept for a human')
  t.notOk(existsSync(file), 'not reused')
  t.ok(logs.records.some(l => l.msg === 'Bot API queue file unusable: moved aside, the queue starts empty'))
  queue.push('message', {})
  await queue.close()
  t.ok(existsSync(file), 'a new file is written')
})

t.test('an update is encoded once for every consumer, as JSON.stringify would', async t => {
  const dir = tempDir('tdbroker-queue-')
  const queues = [0, 1].map(i => new UpdateQueue(join(dir, `q${i}.json`), 10, pino(new LogSink())))
  t.teardown(async () => { for (const q of queues) await q.close() })
  const message = { message_id: 3, text: 'quote " and \u2028 and é', chat: { id: 1000001, type: 'private' }, entities: [{ type: 'bold', offset: 0, length: 5 }] }
  queues[1]!.push('message', { text: 'only here' })
  for (const q of queues) q.push('message', message)
  for (const q of queues) {
    for (const u of await q.take(undefined, 100, 0, undefined)) t.equal(updateJson(u), JSON.stringify(u), `update ${String(u.update_id)}: the same bytes`)
  }
})

t.test('a long poll ends when its client goes, and does not wait once it has gone', async t => {
  const queue = new UpdateQueue(join(tempDir('tdbroker-queue-'), 'q.json'), 10, pino(new LogSink()))
  t.teardown(async () => { await queue.close() })
  const gone = new Departure()
  const started = Date.now()
  const poll = queue.take(undefined, 100, 30_000, undefined, { departure: gone })
  await new Promise(resolve => setImmediate(resolve))
  gone.leave()
  t.same(await poll, [], 'the poll ends empty when its client goes')
  t.ok(Date.now() - started < 10_000, 'long before its timeout')
  t.ok(gone.gone, 'the departure says so')
  gone.leave()
  const late = Date.now()
  t.same(await queue.take(undefined, 100, 30_000, undefined, { departure: gone }), [], 'a poll whose client has already gone ends at once')
  t.ok(Date.now() - late < 10_000, 'without waiting its timeout')
  // The poll that ended is no longer the waiting one: the next one waits for an update, and gets it.
  const next = queue.take(undefined, 100, 30_000, undefined, { departure: new Departure() })
  await new Promise(resolve => setImmediate(resolve))
  queue.push('message', { text: 'after' })
  t.same((await next).map(u => (u.message as { text: string }).text), ['after'], 'a later poll gets what comes')
})

t.test('Departure: one listener, called once, and off undoes it', async t => {
  const d = new Departure()
  let calls = 0
  const a = (): void => { calls += 10 }
  const b = (): void => { calls++ }
  d.on(a)
  d.on(b)
  d.off(a)
  d.leave()
  d.leave()
  t.equal(calls, 1, 'the last listener set, once')
  const e = new Departure()
  e.on(b)
  e.off(b)
  e.leave()
  t.equal(calls, 1, 'a listener taken off is not called')
})

/**
 * The queue on its own: offsets, negative offsets, limit, the bound, and a
 * broken file moved aside rather than stopping the broker.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
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

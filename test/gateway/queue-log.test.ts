/**
 * The queue log shared by a bot session's consumers (queue-log.ts): small
 * records, read back to the same queues; a cut-off last line; compaction;
 * a file of the former one-per-consumer format taken in once.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { UpdateQueue } from '../../src/gateway/queue.js'
import { COMPACT_AFTER, MAX_PENDING_CHARS, QueueLog } from '../../src/gateway/queue-log.js'
import { tempDir } from '../helpers/broker.js'
import { LogSink } from '../helpers/log-sink.js'

const ids = (updates: Array<Record<string, unknown>>): unknown[] => updates.map(u => u.update_id)
const texts = (updates: Array<Record<string, unknown>>): unknown[] => updates.map(u => (u.message as { text: string }).text)

async function open (dir: string, names: string[], logs = new LogSink()): Promise<{ log: QueueLog, queues: UpdateQueue[], logs: LogSink }> {
  const log = new QueueLog(join(dir, 'queues.log'), pino(logs))
  const queues = names.map(name => new UpdateQueue(join(dir, `${name}.json`), 1000, pino(logs), undefined, { log, name }))
  for (const q of queues) await q.load()
  return { log, queues, logs }
}

async function closeAll (o: { log: QueueLog, queues: UpdateQueue[] }): Promise<void> {
  for (const q of o.queues) await q.close()
  await o.log.close()
}

t.test('consumers share one log of small records, read back to each queue', async t => {
  const dir = tempDir('tdbroker-qlog-')
  const first = await open(dir, ['a', 'b'])
  const [a, b] = first.queues as [UpdateQueue, UpdateQueue]
  for (let i = 1; i <= 3; i++) {
    const update = { message_id: i, text: `m${i}` }
    a.push('message', update, 5)
    b.push('message', update, 5)
  }
  b.push('message', { text: 'only b' })
  t.same(ids(await a.take(3, 100, 0, undefined)), [3], 'a confirms below 3')
  t.same(ids(await b.take(-2, 100, 0, undefined)), [3, 4], 'b keeps its last two')
  await first.log.flush()
  const lines = readFileSync(join(dir, 'queues.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  t.equal(lines.filter(l => 'push' in l).length, 7, 'one record per update pushed')
  t.notOk(lines.some(l => 'entries' in l), 'no queue written whole for pushes and confirmations')
  await closeAll(first)

  const again = await open(dir, ['a', 'b'])
  const [a2, b2] = again.queues as [UpdateQueue, UpdateQueue]
  t.same(texts(await a2.take(undefined, 100, 0, undefined)), ['m3'], 'a: what it did not confirm')
  t.same(ids(await b2.take(undefined, 100, 0, undefined)), [3, 4], 'b: its own')
  a2.push('message', { text: 'next' })
  t.same(ids(await a2.take(undefined, 100, 0, undefined)), [3, 4], 'numbering goes on per consumer')
  await closeAll(again)
})

t.test('a last line cut off by a crash is ignored, and rewritten before anything is appended', async t => {
  const dir = tempDir('tdbroker-qlog-')
  const first = await open(dir, ['a'])
  first.queues[0]!.push('message', { text: 'kept' })
  await closeAll(first)
  appendFileSync(join(dir, 'queues.log'), '{"q":"a","push":{"update_id":2,"kind":"mess')
  const again = await open(dir, ['a'])
  t.ok(again.logs.records.some(l => l.msg === 'Bot API queue file: a last line cut off (a crash while writing) is ignored'), 'logged')
  const q = again.queues[0]!
  t.same(texts(await q.take(undefined, 100, 0, undefined)), ['kept'])
  q.push('message', { text: 'after' })
  await closeAll(again)
  for (const line of readFileSync(join(dir, 'queues.log'), 'utf8').trim().split('\n')) t.doesNotThrow(() => JSON.parse(line), 'every line whole')
  const third = await open(dir, ['a'])
  t.same(texts(await third.queues[0]!.take(undefined, 100, 0, undefined)), ['kept', 'after'])
  t.notOk(third.logs.records.some(l => l.msg?.includes('cut off')), 'nothing cut off any more')
  await closeAll(third)
})

t.test('a broken line in the middle moves the log aside', async t => {
  const dir = tempDir('tdbroker-qlog-')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'queues.log'), '{"q":"a","next_id":1,"entries":[]}\n{broken\n{"q":"a","below":3}\n')
  const o = await open(dir, ['a'])
  t.equal(o.queues[0]!.pendingCount, 0)
  t.ok(o.logs.records.some(l => l.msg === 'Bot API queue file unusable: moved aside, the queue starts empty'))
  await closeAll(o)
})

t.test('the log is compacted when it has grown, and reads back the same', async t => {
  const dir = tempDir('tdbroker-qlog-')
  const o = await open(dir, ['a', 'b'])
  const [a, b] = o.queues as [UpdateQueue, UpdateQueue]
  const big = 'x'.repeat(2000)
  let offset = 0
  // Half as many records again as COMPACT_AFTER (two updates of 2 kB a turn); a confirms all, b keeps its last three.
  const total = Math.ceil(1.5 * COMPACT_AFTER / 4000)
  for (let i = 0; i < total; i++) {
    const update = { text: `${i} ${big}` }
    a.push('message', update)
    b.push('message', update)
    const got = await a.take(offset, 100, 0, undefined)
    offset = Number(got[got.length - 1]!.update_id) + 1
    await b.take(-3, 100, 0, undefined)
    if (i % 100 === 0) await o.log.flush()
  }
  await o.log.flush()
  const size = statSync(join(dir, 'queues.log')).size
  t.ok(size < total * 4000 / 2, `less than half of what was appended (${size} bytes)`)
  t.notOk(existsSync(join(dir, 'queues.log.tmp')), 'nothing left beside it')
  await closeAll(o)
  const again = await open(dir, ['a', 'b'])
  t.same(ids(await again.queues[0]!.take(undefined, 100, 0, undefined)), [total], 'a: its last, unconfirmed')
  t.same(ids(await again.queues[1]!.take(undefined, 100, 0, undefined)), [total - 2, total - 1, total], 'b: its last three')
  await closeAll(again)
})

t.test('records piling up before a write are bounded: the queues are written whole instead', async t => {
  const dir = tempDir('tdbroker-qlog-')
  const o = await open(dir, ['a'])
  const a = o.queues[0]!
  const big = 'x'.repeat(2000)
  // All in one turn, before the log's first write: more than MAX_PENDING_CHARS of push records (the queue keeps its last 1000).
  const total = Math.ceil(1.5 * MAX_PENDING_CHARS / 2000)
  for (let i = 1; i <= total; i++) a.push('message', { text: `${i} ${big}` })
  await o.log.flush()
  const lines = readFileSync(join(dir, 'queues.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  t.ok(lines.some(l => 'entries' in l), 'the queue was written whole')
  t.ok(lines.filter(l => 'push' in l).length < 1000, `not every push record was kept (${lines.filter(l => 'push' in l).length} of ${total})`)
  t.ok(statSync(join(dir, 'queues.log')).size < MAX_PENDING_CHARS, 'the file holds the queue, not every record')
  await closeAll(o)
  const again = await open(dir, ['a'])
  const got = await again.queues[0]!.take(undefined, 100, 0, undefined)
  t.same(ids(got), Array.from({ length: 100 }, (_, i) => total - 999 + i), 'read back: the queue\'s last 1000, from the oldest')
  t.equal(again.queues[0]!.pendingCount, 1000, 'all 1000 of them')
  await closeAll(again)
})

t.test('a queue file of the former format is taken into the log once', async t => {
  const dir = tempDir('tdbroker-qlog-')
  mkdirSync(dir, { recursive: true })
  const legacy = join(dir, 'a.json')
  writeFileSync(legacy, JSON.stringify({ next_id: 8, allowed_updates: ['message'], entries: [{ update_id: 7, kind: 'message', update: { text: 'old' } }] }))
  const o = await open(dir, ['a'])
  t.notOk(existsSync(legacy), 'the former file is gone')
  const q = o.queues[0]!
  t.same(texts(await q.take(undefined, 100, 0, undefined)), ['old'])
  t.same(q.allowedUpdates, ['message'])
  q.push('message', { text: 'new' })
  await closeAll(o)
  const again = await open(dir, ['a'])
  t.same(ids(await again.queues[0]!.take(undefined, 100, 0, undefined)), [7, 8])
  await closeAll(again)
})

t.test('updates a webhook took out of order: after a crash none is lost and at most a bounded few come again; after a clean stop none', async t => {
  const dir = tempDir('tdbroker-qlog-')
  const first = await open(dir, ['w'])
  const [w] = first.queues as [UpdateQueue]
  // Chat 1's first update is still on its way while chat 2's are taken.
  w.push('message', { text: 'c1 first' }, 1)
  for (let i = 1; i <= 3; i++) w.push('message', { text: `c2 ${i}` }, 2)
  w.push('message', { text: 'c1 second' }, 1)
  for (const e of [...w.entries].filter(e => e.chat === 2)) w.delivered(e)
  t.same(w.entries.map(e => e.update_id), [1, 5], 'taken out of order, they leave the queue at once')
  await first.log.flush()
  // A crash now: the log has not recorded them, so they come again (never lost, never others).
  const crashed = await open(dir, ['w'])
  t.same(crashed.queues[0]!.entries.map(e => e.update_id), [1, 2, 3, 4, 5], 'after a crash: the out-of-order ones again, nothing lost')
  await closeAll(crashed)

  // The oldest goes too: one "below" record covers it and those taken ahead of it.
  w.delivered(w.entries[0]!)
  await first.log.flush()
  const lines = readFileSync(join(dir, 'queues.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  t.same(lines[lines.length - 1], { q: 'w', below: 5 }, 'recorded as "below", which earlier versions read')
  const after = await open(dir, ['w'])
  t.same(after.queues[0]!.entries.map(e => e.update_id), [5], 'read back exactly')
  await closeAll(after)

  // More than 64 ahead of an older one: the queue is written whole.
  for (let i = 0; i < 70; i++) w.push('message', { text: `c3 ${i}` }, 3)
  for (const e of [...w.entries].filter(e => e.chat === 3)) w.delivered(e)
  await first.log.flush()
  const crashedAgain = await open(dir, ['w'])
  const back = crashedAgain.queues[0]!.entries.map(e => e.update_id)
  t.ok(back.length <= 1 + 64 && back[0] === 5, `after a crash at most 64 come again (${back.length - 1})`)
  await closeAll(crashedAgain)

  // A clean stop writes what is left whole.
  await closeAll(first)
  const clean = await open(dir, ['w'])
  t.same(clean.queues[0]!.entries.map(e => e.update_id), [5], 'after a clean stop: only what was not delivered')
  await closeAll(clean)
})

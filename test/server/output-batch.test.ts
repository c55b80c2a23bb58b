/**
 * Output batching (src/server/output-batch.ts): lines leave in order, joined
 * into one write; a line sent without the "more follows" hint never waits
 * past the next check phase; a held batch still leaves within its bound; a
 * discarded batch never leaves. The bounds are asserted by what was written
 * when, never by how fast.
 */
import t from 'tap'
import { MAX_BATCH_CHARS, OutputBatch } from '../../src/server/output-batch.js'

const checkPhase = async (): Promise<void> => { await new Promise<void>(resolve => { setImmediate(resolve) }) }

/** Waits (bounded) until `done` holds, one check phase at a time. */
async function until (done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await checkPhase()
  }
}

t.test('lines of one turn leave in one write, in order, each with its newline', async t => {
  const writes: string[] = []
  const batch = new OutputBatch({ writeBatch: text => { writes.push(String(text)) } })
  batch.add('{"a":1}', false)
  batch.add('{"b":2}', false)
  batch.add('{"c":3}', true)
  t.same(writes, [], 'nothing is written synchronously')
  t.equal(batch.pendingChars, 24, 'what waits counts towards the queue (lines and newlines)')
  await until(() => writes.length > 0, 'the flush')
  t.same(writes, ['{"a":1}\n{"b":2}\n{"c":3}\n'])
  t.equal(batch.pendingChars, 0)
})

t.test('a line without the hint leaves at the next check phase, with what was held before it', async t => {
  const writes: string[] = []
  const batch = new OutputBatch({ writeBatch: text => { writes.push(String(text)) } })
  batch.add('held', true)
  batch.add('last', false)
  await checkPhase()
  await checkPhase()
  t.same(writes, ['held\nlast\n'], 'written by the first check phase after it')
})

t.test('a line without the hint leaves at the next check phase even when the batch was already held', async t => {
  const writes: string[] = []
  const batch = new OutputBatch({ writeBatch: text => { writes.push(String(text)) } })
  batch.add('held', true)
  await checkPhase()
  t.same(writes, [], 'held: the hint says more follows')
  batch.add('last', false)
  await checkPhase()
  t.same(writes, ['held\nlast\n'], 'written by the first check phase after the line without the hint, not by the hold timer')
})

t.test('held lines leave by themselves once the hold is over', async t => {
  const writes: string[] = []
  const batch = new OutputBatch({ writeBatch: text => { writes.push(String(text)) } })
  batch.add('one', true)
  batch.add('two', true)
  await until(() => writes.length > 0, 'the held batch')
  t.same(writes, ['one\ntwo\n'])
})

t.test('a batch over MAX_BATCH_CHARS is written at once', async t => {
  const writes: string[] = []
  const batch = new OutputBatch({ writeBatch: text => { writes.push(String(text)) } })
  const big = 'x'.repeat(MAX_BATCH_CHARS)
  batch.add('small', true)
  batch.add(big, true)
  t.same(writes, [`small\n${big}\n`], 'written synchronously, in order')
  await checkPhase()
  t.equal(writes.length, 1, 'nothing more')
})

t.test('flush writes now; discard drops; an empty batch writes nothing', async t => {
  const writes: string[] = []
  const batch = new OutputBatch({ writeBatch: text => { writes.push(String(text)) } })
  batch.add('a', true)
  batch.flush()
  t.same(writes, ['a\n'])
  batch.flush()
  batch.add('dropped', false)
  batch.discard()
  await checkPhase()
  await checkPhase()
  t.same(writes, ['a\n'], 'a discarded line never leaves, an empty flush writes nothing')
  batch.add('after', false)
  await until(() => writes.length > 1, 'the next line')
  t.same(writes, ['a\n', 'after\n'], 'the batch works again after a discard')
})

t.test('many connections with output are flushed in the same check phase', async t => {
  const writes: string[] = []
  const batches = Array.from({ length: 50 }, (_, i) => new OutputBatch({ writeBatch: text => { writes.push(`${i}:${text}`) } }))
  batches.forEach((b, i) => { b.add(String(i), false) })
  await checkPhase()
  await checkPhase()
  t.equal(writes.length, 50)
  t.same(writes, batches.map((_, i) => `${i}:${i}\n`), 'each connection once, in the order they had output')
})

t.test('the same lines in several batches of one check phase are encoded once, and each batch gets them', async t => {
  const writes: Array<Array<string | Buffer>> = [[], [], []]
  const batches = writes.map(w => new OutputBatch({ writeBatch: data => { w.push(data) } }))
  const update = '{"@type":"updateNewMessage","text":"é ✓"}'
  const other = '{"@type":"updateOption"}'
  batches[0]!.add(update, false)
  batches[1]!.add(update, false)
  batches[2]!.add(other, false)
  batches[0]!.add(other, false)
  batches[1]!.add(other, false)
  batches[2]!.add(update, false)
  await until(() => writes.every(w => w.length > 0), 'the flush')
  t.same(writes.map(w => w.map(String)), [[`${update}\n${other}\n`], [`${update}\n${other}\n`], [`${other}\n${update}\n`]], 'every batch got its own lines, in its own order, as UTF-8')
  t.equal(writes[0]![0], writes[1]![0], 'the two batches with the same lines were handed the same bytes')
  t.not(writes[2]![0], writes[0]![0], 'the batch with other lines (the same strings in another order) got its own')
  batches[0]!.add(update, false)
  await until(() => writes[0]!.length > 1, 'the next flush')
  t.not(writes[0]![1], writes[0]![0], 'a later check phase encodes afresh (nothing is kept past the phase)')
  t.equal(String(writes[0]![1]), `${update}\n`)
})

t.test('batches that reach MAX_BATCH_CHARS in one turn with the same lines are encoded once, and each gets them whole', async t => {
  const writes: Array<Array<string | Buffer>> = [[], [], []]
  const batches = writes.map(w => new OutputBatch({ writeBatch: data => { w.push(data) } }))
  // A backlog: update after update goes to every connection, until each batch is over the limit in the same turn.
  const updates = Array.from({ length: 3 }, (_, i) => `{"@type":"updateNewMessage","n":${i},"text":"é ✓ ${'y'.repeat(MAX_BATCH_CHARS / 3)}"}`)
  for (const line of updates) for (const b of batches.slice(0, 2)) b.add(line, true)
  t.equal(writes[0]!.length, 1, 'the first batch was written when it reached the limit')
  t.equal(writes[1]!.length, 1, 'and the second')
  t.equal(writes[0]![0], writes[1]![0], 'the same lines in the same turn: the same bytes')
  t.ok(Buffer.isBuffer(writes[0]![0]), 'encoded as UTF-8 once')
  t.equal(String(writes[0]![0]), updates.join('\n') + '\n', 'every line, in order, each with its newline')
  for (const line of [updates[0]!, updates[2]!, updates[1]!]) batches[2]!.add(line, true)
  t.equal(String(writes[2]![0]), [updates[0], updates[2], updates[1]].join('\n') + '\n', 'other lines (the same strings in another order) get their own bytes')
  t.not(writes[2]![0], writes[0]![0])
  await checkPhase()
  for (const line of updates) batches[0]!.add(line, true)
  t.not(writes[0]![1], writes[0]![0], 'after a check phase the bytes are encoded afresh (nothing is kept past it)')
  t.equal(String(writes[0]![1]), updates.join('\n') + '\n')
})

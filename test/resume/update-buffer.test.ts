/** The update buffer and the sequence on their own, with a clock and a disk of the test's making. */
import t from 'tap'
import { UpdateBuffer } from '../../src/resume/update-buffer.js'
import { Sequence } from '../../src/resume/sequence.js'
import { OutgoingUpdate } from '../../src/session/outgoing.js'

const update = (seq: number): OutgoingUpdate => new OutgoingUpdate('1', seq, { '@type': 'updateOption', name: 'n' })
const seqs = (list: OutgoingUpdate[]): number[] => list.map(u => u.seq)

t.test('bounded by count: the oldest go first, and firstAvailable follows them', async t => {
  const buffer = new UpdateBuffer(3, 60_000, 10)
  t.equal(buffer.firstAvailable, 11, 'empty: everything from the first new number')
  for (let s = 11; s <= 15; s++) buffer.push(update(s))
  t.equal(buffer.size, 3)
  t.equal(buffer.firstAvailable, 13)
  t.same(seqs(buffer.since(12)), [13, 14, 15])
  t.same(seqs(buffer.since(14)), [15])
  t.same(seqs(buffer.since(15)), [])
  t.same(seqs(buffer.since(0)), [13, 14, 15], 'a client further back gets what is held (and is told of the gap by the session)')
})

t.test('gaps in the numbers (updates not buffered) do not confuse the search', async t => {
  const buffer = new UpdateBuffer(10, 60_000, 0)
  for (const s of [1, 2, 5, 9, 10]) buffer.push(update(s))
  t.same(seqs(buffer.since(3)), [5, 9, 10])
  t.same(seqs(buffer.since(5)), [9, 10])
  t.equal(buffer.firstAvailable, 1)
})

t.test('bounded by age', async t => {
  let now = 1000
  const buffer = new UpdateBuffer(100, 500, 0, () => now)
  buffer.push(update(1))
  now += 300
  buffer.push(update(2))
  now += 300
  t.same(seqs(buffer.since(0)), [2], 'the first is older than 500 ms')
  t.equal(buffer.firstAvailable, 2)
  now += 1000
  t.same(seqs(buffer.since(0)), [])
  t.equal(buffer.firstAvailable, 3)
})

t.test('a size of 0 holds nothing, yet keeps firstAvailable right', async t => {
  const buffer = new UpdateBuffer(0, 60_000, 0)
  buffer.push(update(1))
  buffer.push(update(2))
  t.equal(buffer.size, 0)
  t.equal(buffer.firstAvailable, 3)
})

t.test('long runs stay bounded in memory', async t => {
  const buffer = new UpdateBuffer(5, 60_000, 0)
  for (let s = 1; s <= 100_000; s++) buffer.push(update(s))
  t.equal(buffer.size, 5)
  t.ok((buffer as unknown as { seqs: unknown[] }).seqs.length < 200, 'the backing arrays are compacted')
  t.same(seqs(buffer.since(0)), [99_996, 99_997, 99_998, 99_999, 100_000])
})

t.test('the sequence reserves ahead on disk and never issues a number a restart could repeat', async t => {
  const disk: number[] = []
  const problems: string[] = []
  const persist = async (n: number): Promise<void> => { disk.push(n) }
  const seq = new Sequence(0, persist, p => problems.push(p), 100)
  await seq.ensureReserved()
  t.same(disk, [100], 'a block is reserved before the first number')
  const issued: number[] = []
  const uncovered: number[] = []
  for (let i = 0; i < 1000; i++) {
    const n = seq.next()
    issued.push(n)
    await Promise.resolve() // let a renewal land, as the event loop would between updates
    await Promise.resolve()
    if (Math.max(...disk) < n) uncovered.push(n)
  }
  t.same(uncovered, [], 'every number issued is covered by the reservation on disk')
  t.same(issued, Array.from({ length: 1000 }, (_, i) => i + 1))
  t.ok(disk.length < 30, `renewed in blocks, not per number (${disk.length} writes)`)
  t.same(problems, [])

  const restarted = new Sequence(Math.max(...disk), persist, p => problems.push(p), 100)
  await restarted.ensureReserved()
  t.ok(restarted.next() > 1000, 'after a crash, numbering starts above everything issued')

  await seq.flush()
  t.equal(disk[disk.length - 1], 1000, 'a clean stop writes the exact last number')
})

t.test('a failed write is reported, and the next number still comes', async t => {
  const problems: string[] = []
  const seq = new Sequence(0, async () => { throw new Error('disk full') }, p => problems.push(p), 10)
  await t.rejects(seq.ensureReserved(), /disk full/)
  t.equal(seq.next(), 1)
  await new Promise(resolve => setImmediate(resolve))
  t.match(problems, [/beyond the reserve on disk/, /cannot reserve sequence numbers: disk full/])
})

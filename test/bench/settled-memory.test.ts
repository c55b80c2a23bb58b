/**
 * bench/lib/settled-memory.ts: a sample is taken once V8's heap has shrunk
 * and then held, not before the shrink; a heap that never shrinks is taken
 * as it is once it has held long enough. The reads are scripted, so what is
 * asserted is which sample comes back, never how fast.
 */
import t from 'tap'
import type { ProcessMemory } from '../../bench/lib/ipc.js'
import { settledMemory } from '../../bench/lib/settled-memory.js'

const MB = 1024 * 1024
const sample = (heapTotal: number, rss: number): ProcessMemory => ({ rss: rss * MB, heapTotal: heapTotal * MB, heapUsed: 10 * MB, external: 0 })

/** Reads that follow `script` (heapTotal, rss in MB), then repeat its last entry; counts the reads. */
function scripted (script: Array<[number, number]>): { read: () => Promise<ProcessMemory>, reads: () => number } {
  let n = 0
  return {
    read: async () => { const [h, r] = script[Math.min(n++, script.length - 1)]!; return sample(h, r) },
    reads: () => n
  }
}

t.test('a heap that shrinks is sampled after the shrink, once it has held', async t => {
  const s = scripted([[53, 220], [53, 220], [53, 220], [22, 197], [22, 196]])
  const m = await settledMemory(s.read)
  t.equal(m.heapTotal, 22 * MB, 'after the shrink')
  t.equal(m.rss, 196 * MB, 'the last sample, once it held')
  t.ok(s.reads() >= 4 + 3, 'it held for at least three more samples (1.5 s at 0.5 s each) after the shrink')
})

t.test('a heap that never shrinks is taken as it is, after waiting for a shrink', async t => {
  const s = scripted([[8, 40], [8, 41], [8, 41]])
  const m = await settledMemory(s.read)
  t.equal(m.rss, 41 * MB)
  t.ok(s.reads() >= 12, 'it waited about 6 s (12 samples at 0.5 s) for a shrink that did not come')
})

t.test('a heap that keeps moving is taken at the limit', async t => {
  let n = 0
  const m = await settledMemory(async () => sample(n++ % 2 === 0 ? 30 : 40, 100 + n))
  t.ok(n >= 24, `it sampled until the 12 s limit (${n} samples)`)
  t.equal(m.rss, (100 + n) * MB, 'the last sample')
})

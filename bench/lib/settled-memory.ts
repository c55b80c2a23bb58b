/**
 * A process's memory once V8's heap has settled after a burst of work.
 *
 * V8's memory reducer shrinks the heap a few seconds after the work ends:
 * measured here, a broker's heapTotal went from 53 to 22 MB and its RSS down
 * by 23 MB about 3 s after 40 sessions had started, with nothing else
 * happening, and by 6 MB 3 s after 900 idle clients had connected. A sample
 * taken at a fixed delay (1.5 s, as the memory part once did) lands before
 * or after that by chance, and the per-client figure moved by several KB
 * from run to run, below zero at 100 clients. Every memory figure of the
 * memory part is taken this way, on every side.
 */
import type { ProcessMemory } from './ipc.js'
import { sleep } from './stats.js'

/** Between samples (each after a collection). */
const POLL_MS = 500
/** How long heapTotal must stay the same (within HEAP_SLACK) once it shrank. */
const STABLE_MS = 1500
/** When it has not shrunk: how long to wait for the reducer before taking what it is. */
const NO_SHRINK_MS = 6000
/** At most this long in all. */
const LIMIT_MS = 12_000
/** heapTotal moves by a page or two without anything happening. */
const HEAP_SLACK = 256 * 1024

/**
 * Samples `read` until V8's heap has shrunk and then stayed for STABLE_MS,
 * or stayed NO_SHRINK_MS without shrinking (a process with little garbage
 * may have nothing to give back); at most LIMIT_MS. Returns the last sample.
 */
export async function settledMemory (read: () => Promise<ProcessMemory>): Promise<ProcessMemory> {
  const start = Date.now()
  let last = await read()
  let stableSince = Date.now()
  let shrunk = false
  for (;;) {
    await sleep(POLL_MS)
    const now = await read()
    const at = Date.now()
    if (Math.abs(now.heapTotal - last.heapTotal) > HEAP_SLACK) {
      if (now.heapTotal < last.heapTotal) shrunk = true
      stableSince = at
    }
    last = now
    const stable = at - stableSince
    if ((shrunk && stable >= STABLE_MS) || (at - start >= NO_SHRINK_MS && stable >= STABLE_MS) || at - start >= LIMIT_MS) return last
  }
}

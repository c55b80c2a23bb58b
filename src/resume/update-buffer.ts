/**
 * The recent updates of one session, for clients that reconnect and resume
 * from the last sequence number they saw. Bounded by count and by age; the
 * oldest go first. `firstAvailable` is the lowest sequence number from which
 * every update the buffer takes is still held: a client whose last seen
 * number is below firstAvailable - 1 has lost updates, and is told so.
 */
import type { OutgoingUpdate } from '../session/outgoing.js'

interface Held { readonly update: OutgoingUpdate, readonly at: number }

export class UpdateBuffer {
  private items: Held[] = []
  private head = 0
  /** Every update with seq <= this that the buffer took has been dropped (or predates it). */
  private droppedUpTo: number

  /**
   * @param maxSize most updates held (0 holds none)
   * @param maxAgeMs oldest update held, in milliseconds
   * @param floor the last sequence number issued before this buffer existed
   */
  constructor (
    private readonly maxSize: number,
    private readonly maxAgeMs: number,
    floor: number,
    private readonly now: () => number = Date.now
  ) {
    this.droppedUpTo = floor
  }

  get size (): number { return this.items.length - this.head }

  /** The lowest sequence number from which every buffered update is still held. */
  get firstAvailable (): number {
    this.prune()
    return this.droppedUpTo + 1
  }

  push (update: OutgoingUpdate): void {
    if (this.maxSize === 0) {
      this.droppedUpTo = update.seq
      return
    }
    this.items.push({ update, at: this.now() })
    this.prune()
  }

  /** Held updates with seq > lastSeq, oldest first. */
  since (lastSeq: number): OutgoingUpdate[] {
    this.prune()
    const out: OutgoingUpdate[] = []
    // Sequence numbers increase, so a binary search finds the start.
    let lo = this.head
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.items[mid] as Held).update.seq <= lastSeq) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < this.items.length; i++) out.push((this.items[i] as Held).update)
    return out
  }

  /** Drops what is too old or over the count. */
  prune (): void {
    const oldest = this.now() - this.maxAgeMs
    while (this.size > 0) {
      const first = this.items[this.head] as Held
      if (this.size <= this.maxSize && first.at >= oldest) break
      this.droppedUpTo = first.update.seq
      this.head++
    }
    // Compact now and then, so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }
}

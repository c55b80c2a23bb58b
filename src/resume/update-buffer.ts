/**
 * The recent updates of one session, for clients that reconnect and resume
 * from the last sequence number they saw. Bounded by count and by age; the
 * oldest go first. `firstAvailable` is the lowest sequence number from which
 * every update the buffer takes is still held: a client whose last seen
 * number is below firstAvailable - 1 has lost updates, and is told so.
 *
 * Held as three parallel arrays (TDLib object, sequence number, time taken)
 * rather than an object per update: a session holds a hundred or more
 * updates from its start alone, and the per-entry objects (the
 * OutgoingUpdate, with its cached wire lines, and a holder with its boxed
 * time) cost more than the update they held. since() makes the
 * OutgoingUpdates again, with the same session id, number and object.
 */
import type { TdObject } from '../tdlib/backend.js'
import { OutgoingUpdate } from '../session/outgoing.js'

export class UpdateBuffer {
  private updates: TdObject[] = []
  /** Sequence numbers of `updates`, increasing. */
  private seqs: number[] = []
  /** When each was taken (this.now()). */
  private times: number[] = []
  private head = 0
  /** The session of the updates (they all have the same one). */
  private sessionId = ''
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

  get size (): number { return this.seqs.length - this.head }

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
    this.sessionId = update.sessionId
    this.updates.push(update.update)
    this.seqs.push(update.seq)
    this.times.push(this.now())
    this.prune()
  }

  /** Held updates with seq > lastSeq, oldest first. */
  since (lastSeq: number): OutgoingUpdate[] {
    this.prune()
    const out: OutgoingUpdate[] = []
    // Sequence numbers increase, so a binary search finds the start.
    const seqs = this.seqs
    let lo = this.head
    let hi = seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((seqs[mid] as number) <= lastSeq) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < seqs.length; i++) out.push(new OutgoingUpdate(this.sessionId, seqs[i] as number, this.updates[i] as TdObject))
    return out
  }

  /** Drops what is too old or over the count. */
  prune (): void {
    const oldest = this.now() - this.maxAgeMs
    let head = this.head
    const end = this.seqs.length
    while (head < end) {
      if (end - head <= this.maxSize && (this.times[head] as number) >= oldest) break
      this.droppedUpTo = this.seqs[head] as number
      // The object goes now, not at the next compaction.
      this.updates[head] = DROPPED
      head++
    }
    this.head = head
    if (head === end && head > 0) {
      this.updates = []
      this.seqs = []
      this.times = []
      this.head = 0
    } else if (head > 64 && head * 2 > end) {
      // Compact now and then, so the arrays do not grow without bound.
      this.updates = this.updates.slice(head)
      this.seqs = this.seqs.slice(head)
      this.times = this.times.slice(head)
      this.head = 0
    }
  }
}

/** What a dropped slot holds until the next compaction. */
const DROPPED: TdObject = Object.freeze({ '@type': 'dropped' })

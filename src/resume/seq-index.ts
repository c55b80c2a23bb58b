/**
 * What each recent sequence number of a session was: the update's type and
 * chat, not the update itself. It outlives the update buffer (it is not
 * pruned by age, and a clean stop writes it to the session folder), so a
 * client that resumes after its updates left the buffer, or after a broker
 * restart, is told of a loss only when it missed an update its own filters
 * would have let through.
 *
 * `knownFrom` is the lowest number from which every number up to `last` is
 * accounted for: a number in that range with no entry was never given to
 * resuming clients (never used, or a catch-up update for the starter alone).
 * Numbers below `knownFrom`, or not yet reached, are unknown, and unknown
 * counts as lost: a real loss is never hidden.
 */

/** One known sequence number: an update any resuming client could have been sent. */
export interface IndexEntry { readonly seq: number, readonly type: string, readonly chatId: number | undefined }

/** The gap a resuming client would have to be told about, if any. */
export interface LostRange { readonly from: number, readonly to: number }

/** Most entries kept (and written) whatever update_buffer_size says, so the file stays small. */
export const MAX_INDEX_ENTRIES = 100_000

/**
 * Held as parallel arrays (number, type, chat with NaN for none) rather than
 * an object per entry: an entry is then three array slots, and the type is
 * the update's own (usually shared) string.
 */
export class SeqIndex {
  private seqs: number[] = []
  private types: string[] = []
  /** The chat of each entry, NaN when it names none; undefined while no entry names one (an idle session's). */
  private chats: number[] | undefined
  private head = 0
  private knownFromValue: number
  private lastValue: number

  /**
   * @param maxSize most entries kept
   * @param floor every number up to floor is unknown (numbers after it are recorded as they are issued)
   */
  constructor (private readonly maxSize: number, floor: number) {
    this.knownFromValue = floor + 1
    this.lastValue = floor
  }

  get knownFrom (): number { return this.knownFromValue }
  get last (): number { return this.lastValue }
  get size (): number { return this.seqs.length - this.head }

  /** Held entries, oldest first. */
  list (): IndexEntry[] {
    const out: IndexEntry[] = []
    for (let i = this.head; i < this.seqs.length; i++) out.push({ seq: this.seqs[i] as number, type: this.types[i] as string, chatId: this.chatAt(i) })
    return out
  }

  /**
   * Takes over a saved index whose numbers end exactly at this index's start
   * (a clean stop). Anything else (a crash left numbers in between that
   * nobody recorded) is ignored, so those numbers stay unknown.
   */
  restore (knownFrom: number, last: number, entries: readonly IndexEntry[]): boolean {
    if (last !== this.lastValue || this.size > 0 || knownFrom > last + 1) return false
    const kept = entries.filter(e => e.seq >= knownFrom && e.seq <= last)
    for (let i = 1; i < kept.length; i++) if ((kept[i] as IndexEntry).seq <= (kept[i - 1] as IndexEntry).seq) return false
    this.seqs = kept.map(e => e.seq)
    this.types = kept.map(e => e.type)
    this.chats = kept.some(e => e.chatId !== undefined) ? kept.map(e => e.chatId ?? NaN) : undefined
    this.head = 0
    this.knownFromValue = knownFrom
    this.trim()
    return true
  }

  /**
   * Records that `seq` was issued, with its update's type and chat when
   * resuming clients could receive it; `type` undefined records a number
   * resuming clients never get.
   */
  record (seq: number, type: string | undefined, chatId: number | undefined): void {
    if (seq <= this.lastValue) return
    this.lastValue = seq
    if (type !== undefined && this.maxSize > 0) {
      if (chatId !== undefined && this.chats === undefined) this.chats = this.seqs.map(() => NaN)
      this.seqs.push(seq)
      this.types.push(type)
      this.chats?.push(chatId ?? NaN)
      this.trim()
    } else if (this.maxSize === 0) {
      this.knownFromValue = seq + 1
    }
  }

  /**
   * The numbers from..to (inclusive) that a client accepting what `accepts`
   * accepts may really have missed, as one range from the first to the last
   * such number; undefined when it missed nothing it would have received.
   */
  lost (from: number, to: number, accepts: (type: string, chatId: number | undefined) => boolean): LostRange | undefined {
    if (from > to) return undefined
    let first: number | undefined
    let lastLost: number | undefined
    // Unknown below the index's start.
    if (from < this.knownFromValue) {
      first = from
      lastLost = Math.min(to, this.knownFromValue - 1)
    }
    // Unknown above what the index has seen (should not happen: callers ask about issued numbers).
    if (to > this.lastValue) {
      first ??= Math.max(from, this.lastValue + 1)
      lastLost = to
    }
    for (let i = this.lowerBound(Math.max(from, this.knownFromValue)); i < this.seqs.length; i++) {
      const seq = this.seqs[i] as number
      if (seq > to) break
      if (!accepts(this.types[i] as string, this.chatAt(i))) continue
      if (first === undefined || seq < first) first = seq
      if (lastLost === undefined || seq > lastLost) lastLost = seq
    }
    return first === undefined || lastLost === undefined ? undefined : { from: first, to: lastLost }
  }

  private chatAt (i: number): number | undefined {
    const chat = this.chats?.[i]
    return chat === undefined || Number.isNaN(chat) ? undefined : chat
  }

  private lowerBound (seq: number): number {
    let lo = this.head
    let hi = this.seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.seqs[mid] as number) < seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private trim (): void {
    const max = Math.min(this.maxSize, MAX_INDEX_ENTRIES)
    while (this.size > max) {
      this.knownFromValue = (this.seqs[this.head] as number) + 1
      this.head++
    }
    if (this.head > 64 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head)
      this.types = this.types.slice(this.head)
      this.chats = this.chats?.slice(this.head)
      this.head = 0
    }
  }
}

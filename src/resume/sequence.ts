/**
 * A session's update sequence numbers, kept increasing across broker
 * restarts without a disk write per update: the broker reserves a block of
 * numbers on disk ahead of use (the session's meta file) and renews the
 * reservation, asynchronously, when half of it is used. After a crash the
 * next process starts above the reserved mark, so no number is reused
 * (numbers in between are simply never used). After a clean stop the exact
 * last number is written, so a resuming client that saw it has missed
 * nothing.
 *
 * The one window: if the renewal write has not finished by the time the
 * whole block is used (RESERVE / 2 updates of one session during one small
 * file write), numbers past the mark are issued anyway, and logged.
 */

export const RESERVE = 10_000

export class Sequence {
  private lastValue: number
  private durable: number
  private writing = false
  private warned = false
  private touched = false

  /**
   * @param floor every number up to floor may have been used already
   * @param persist writes "numbers up to `reserved` may be used" durably
   * @param onProblem told about a failed write or numbers issued past the mark
   */
  constructor (
    floor: number,
    private readonly persist: (reserved: number) => Promise<void>,
    private readonly onProblem: (message: string) => void,
    private readonly reserve = RESERVE
  ) {
    this.lastValue = floor
    this.durable = floor
  }

  /** The last number handed out (or the floor, before any). */
  get last (): number { return this.lastValue }

  /** Reserves a fresh block on disk if less than half of one is left. Call before numbers are needed. */
  async ensureReserved (): Promise<void> {
    this.touched = true
    if (this.durable - this.lastValue >= this.reserve / 2) return
    const target = this.lastValue + this.reserve
    await this.persist(target)
    this.durable = Math.max(this.durable, target)
  }

  /** The next number. Never blocks; renews the reservation in the background when due. */
  next (): number {
    this.touched = true
    const n = ++this.lastValue
    if (n > this.durable && !this.warned) {
      this.warned = true
      this.onProblem(`sequence number ${n} issued beyond the reserve on disk (${this.durable})`)
    }
    if (this.durable - n < this.reserve / 2 && !this.writing) {
      this.writing = true
      const target = n + this.reserve
      this.persist(target).then(() => {
        this.durable = Math.max(this.durable, target)
        this.warned = false
      }, e => { this.onProblem(`cannot reserve sequence numbers: ${e instanceof Error ? e.message : String(e)}`) })
        .finally(() => { this.writing = false })
    }
    return n
  }

  /**
   * Writes the exact last number (on a clean stop, once no more numbers will
   * be taken). Does nothing for a sequence this process never used.
   */
  async flush (): Promise<void> {
    if (!this.touched || this.durable === this.lastValue) return
    await this.persist(this.lastValue)
    this.durable = this.lastValue
  }
}

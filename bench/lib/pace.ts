/**
 * A pace of `perSecond` messages, message `first` due at the moment the pace
 * is made: when each message is due, and how far the messages due by now go.
 * The paced sender (parts/fanout.ts) and its floor (child/fanout-floor.ts)
 * both keep to one, so they offer their messages, and time them, alike.
 */
export class Pace {
  private readonly start = process.hrtime.bigint()

  constructor (private readonly first: number, private readonly perSecond: number) {}

  /** When message `i` is due (process.hrtime.bigint() ns). */
  dueAt (i: number): bigint { return this.start + BigInt(Math.round((i - this.first) * 1e9 / this.perSecond)) }

  /** The index just past the last message due now. */
  dueNow (): number { return this.first + Math.floor(Number(process.hrtime.bigint() - this.start) * this.perSecond / 1e9) + 1 }
}

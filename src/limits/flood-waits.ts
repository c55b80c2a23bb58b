/**
 * FLOOD_WAITs Telegram imposed, per session and request type: TDLib answers
 * 429 "Too Many Requests: retry after N", and until N seconds have passed
 * that request type on that account is refused again. Recorded so status
 * and metrics can show them, and so the optional guard (flood_wait_guard)
 * can answer such requests without sending them.
 */

/** One flood wait in force. */
export interface FloodWait {
  readonly session: string
  readonly type: string
  /** When it ends (ms since the epoch, by the clock given). */
  readonly until: number
}

const RETRY_AFTER = /retry after (\d{1,9})/i

/** N of "Too Many Requests: retry after N" (and FLOOD_WAIT_N), or undefined. */
export function retryAfterOf (message: string): number | undefined {
  const match = RETRY_AFTER.exec(message) ?? /FLOOD_WAIT_(\d{1,9})/.exec(message)
  return match === null ? undefined : Number(match[1])
}

export class FloodWaits {
  private readonly waits = new Map<string, FloodWait>()

  constructor (private readonly clock: () => number = Date.now) {}

  private static key (session: string, type: string): string { return `${session}\u0000${type}` }

  /** Notes a wait of `seconds` for `type` on `session`, from now. */
  record (session: string, type: string, seconds: number): void {
    this.waits.set(FloodWaits.key(session, type), { session, type, until: this.clock() + seconds * 1000 })
  }

  /** Whole seconds left of the wait for `type` on `session` (0: none). */
  remaining (session: string, type: string): number {
    if (this.waits.size === 0) return 0 // the usual case, kept cheap
    const key = FloodWaits.key(session, type)
    const wait = this.waits.get(key)
    if (wait === undefined) return 0
    const left = Math.ceil((wait.until - this.clock()) / 1000)
    if (left > 0) return left
    this.waits.delete(key)
    return 0
  }

  /** The waits still in force, oldest end first; ended ones are let go. */
  active (): FloodWait[] {
    const now = this.clock()
    for (const [key, wait] of this.waits) if (wait.until <= now) this.waits.delete(key)
    return [...this.waits.values()].sort((a, b) => a.until - b.until)
  }

  /** Forgets a session's waits (it was deleted). */
  forget (session: string): void {
    for (const [key, wait] of this.waits) if (wait.session === session) this.waits.delete(key)
  }

  get now (): number { return this.clock() }
}

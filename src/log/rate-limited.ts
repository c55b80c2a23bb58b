/**
 * A log line that a flood cannot multiply: at most one line per interval
 * (per kind), and the next line that gets through says how many were
 * suppressed in between. Used for events that anyone on the network can
 * cause at will, such as refused connections.
 */
import type { Logger } from './logger.js'

export class RateLimitedLog {
  private readonly last = new Map<string, { at: number, suppressed: number }>()

  constructor (
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now
  ) {}

  /** Logs at warn, unless a line of this `kind` went out less than an interval ago. */
  warn (kind: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.now()
    const seen = this.last.get(kind)
    if (seen !== undefined && now - seen.at < this.intervalMs) {
      seen.suppressed++
      return
    }
    const suppressed = seen?.suppressed ?? 0
    this.last.set(kind, { at: now, suppressed: 0 })
    this.log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg)
  }
}

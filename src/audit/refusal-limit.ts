/**
 * Refusals are audited one by one only up to a budget per connection: a
 * client that sends nothing but refused requests would otherwise write one
 * audit record (and one log line) per request. After the first
 * REFUSALS_RECORDED refusals of a connection, the rest are counted, and one
 * summary record per SUMMARY_INTERVAL_MS says how many there were. A
 * connection quiet for a whole interval gets its budget back.
 */

/** Refusals of one connection recorded one by one before they are only counted. */
export const REFUSALS_RECORDED = 20
/** How often a connection over its budget gets one summary record (and how long it must be quiet to get its budget back). */
export const SUMMARY_INTERVAL_MS = 60_000

interface Budget {
  recorded: number
  suppressed: number
  /** The record fields of the latest suppressed refusal (client, conn, remote, last type and reason). */
  last: Record<string, unknown> | undefined
  lastAt: number
}

/** What to write for a connection's suppressed refusals. */
export interface RefusalSummary { fields: Record<string, unknown>, suppressed: number }

export class RefusalLimit {
  private readonly budgets = new Map<string, Budget>()
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly onSummary: (summary: RefusalSummary) => void,
    private readonly recorded = REFUSALS_RECORDED,
    private readonly intervalMs = SUMMARY_INTERVAL_MS,
    private readonly now: () => number = Date.now
  ) {}

  /** Whether this refusal of connection `conn` is recorded on its own; otherwise it is counted. */
  admit (conn: string, fields: Record<string, unknown>): boolean {
    let budget = this.budgets.get(conn)
    if (budget === undefined) {
      budget = { recorded: 0, suppressed: 0, last: undefined, lastAt: 0 }
      this.budgets.set(conn, budget)
    }
    budget.lastAt = this.now()
    this.startTimer()
    if (budget.recorded < this.recorded) {
      budget.recorded++
      return true
    }
    budget.suppressed++
    budget.last = fields
    return false
  }

  /** Writes the summaries still owed (on close) and stops the timer. */
  flush (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    for (const budget of this.budgets.values()) this.summarise(budget)
    this.budgets.clear()
  }

  private startTimer (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.tick() }, this.intervalMs)
    // Pending summaries never keep the process alive; close() flushes them.
    this.timer.unref()
  }

  /** One interval's work (the timer runs it): the summaries owed, and budgets given back to quiet connections. */
  tick (): void {
    const quietSince = this.now() - this.intervalMs
    for (const [conn, budget] of this.budgets) {
      this.summarise(budget)
      if (budget.lastAt <= quietSince) this.budgets.delete(conn)
    }
    if (this.budgets.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  private summarise (budget: Budget): void {
    if (budget.suppressed === 0 || budget.last === undefined) return
    this.onSummary({ fields: budget.last, suppressed: budget.suppressed })
    budget.suppressed = 0
  }
}

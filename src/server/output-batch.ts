/**
 * Groups a connection's output lines into one socket write. TDLib's answers
 * and updates reach the broker one per turn of the event loop (tdl receives
 * them one at a time), so grouping only within a turn wrote every answer
 * alone: a system call, a write request and its callback per line were the
 * largest single cost under load.
 *
 * Lines wait for the next check phase of the event loop (setImmediate),
 * where all connections with output are flushed together. A line whose
 * sender says more output follows soon (more answers pending on the
 * connection, a stream of updates) may wait a little longer, so that the
 * lines of several turns leave together: at most HOLD_MS after the batch's
 * first line, or until it reaches MAX_BATCH_CHARS. A line sent without that
 * hint (the last pending answer, a notice) flushes the batch at the next
 * check phase: a lone request's answer never waits for the hold.
 */

/** How long a batch may wait for more lines, in milliseconds (performance.now()). */
export const HOLD_MS = Number(process.env.TDBROKER_HOLD_MS ?? 0.25)
/** A batch this long (UTF-16 units) is written at once. */
export const MAX_BATCH_CHARS = 64 * 1024

/** Where a batch goes: one write of the joined lines. */
export type BatchWriter = (text: string) => void

export class OutputBatch {
  private lines: string[] = []
  private chars = 0
  private since = 0
  private urgent = false
  private queued = false

  constructor (private readonly write: BatchWriter) {}

  /** Characters waiting (UTF-16 units; equal to bytes for ASCII, the common case). */
  get pendingChars (): number { return this.chars }

  /** Adds a line (without its newline); `more` says that more output follows soon. */
  add (line: string, more: boolean): void {
    this.lines.push(line)
    this.chars += line.length + 1
    if (!more) this.urgent = true
    if (this.chars >= MAX_BATCH_CHARS) {
      this.flush()
      return
    }
    if (!this.queued) {
      this.queued = true
      this.since = performance.now()
      waiting.add(this)
      arm()
    }
  }

  /** Writes what waits, now. */
  flush (): void {
    if (this.queued) {
      this.queued = false
      waiting.delete(this)
    }
    const lines = this.lines
    if (lines.length === 0) return
    this.lines = []
    this.chars = 0
    this.urgent = false
    this.write(lines.length === 1 ? lines[0] + '\n' : lines.join('\n') + '\n')
  }

  /** Drops what waits (the connection is destroyed). */
  discard (): void {
    if (this.queued) {
      this.queued = false
      waiting.delete(this)
    }
    this.lines = []
    this.chars = 0
    this.urgent = false
  }

  /** Whether the check phase at `now` should write this batch. */
  due (now: number): boolean { return this.urgent || now - this.since >= HOLD_MS }
}

/** Batches with output waiting, flushed by one callback per check phase. */
const waiting = new Set<OutputBatch>()
let armed = false

function arm (): void {
  if (armed) return
  armed = true
  setImmediate(checkPhase)
}

function checkPhase (): void {
  armed = false
  const now = performance.now()
  for (const batch of waiting) if (batch.due(now)) batch.flush()
  if (waiting.size > 0) arm()
}

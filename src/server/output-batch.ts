/**
 * Groups a connection's output lines into one socket write: a system call,
 * a write request and its callback per line were once the largest single
 * cost under load.
 *
 * Lines wait for the next check phase of the event loop (setImmediate),
 * where all connections with output are flushed together. Answers are not
 * held longer: those TDLib has ready arrive in the same turn
 * (tdlib/drain.ts), and holding an answer for the ones still pending kept the
 * client from sending its next requests. A line whose sender says more output
 * follows soon (a stream of updates) may wait a little longer, so that the
 * lines of several turns leave together: until a check phase finds the batch
 * HOLD_MS old, or it reaches MAX_BATCH_CHARS. A held batch is looked at again
 * when a line without the hint joins it, at the check phase of a turn in which
 * another batch has output, and by a timer (HOLD_TIMER_MS) if no turn comes:
 * the loop never spins waiting for the hold, which on a busy machine took the
 * CPU from TDLib's own threads. A line sent without the hint (an answer, a
 * notice) flushes its batch at the next check phase: it never waits.
 *
 * An update that goes to many connections is one string in each of their
 * batches, so a check phase usually finds the same lines in batch after
 * batch: it encodes them to UTF-8 once and hands every such connection the
 * same bytes (the encoding of each connection's copy was once a fifth of the
 * broker's CPU time at 100 clients, and its garbage more).
 */

/**
 * How old a held batch is written at a check phase, in milliseconds
 * (performance.now()). A write costs the kernel about the same whether it
 * carries one line or twenty (on a machine of the benchmark's kind, 10 µs or
 * so to a loopback TCP client), so at 100 clients what a stream's batches
 * hold is most of what a delivery costs: 2 ms rather than 0.5 (with a 2 ms
 * stream gap, connection.ts) took about a tenth off the broker's CPU per
 * delivery in the paced fan-out (bench/findings.md).
 */
export const HOLD_MS = 2
/** When a held batch is looked at again if no output comes meanwhile (setTimeout's resolution is 1 ms). */
const HOLD_TIMER_MS = 1
/** A batch this long (UTF-16 units) is written at once. */
export const MAX_BATCH_CHARS = 64 * 1024

/**
 * Where a batch goes: one write of the joined lines (UTF-8 bytes when they
 * are shared with other batches). An object (the transport itself), not a
 * callback: every idle connection keeps its batch.
 */
export interface BatchSink {
  writeBatch(data: string | Buffer): void
}

export class OutputBatch {
  /** What waits; none between batches (an idle connection keeps no array). */
  private lines: string[] | undefined
  private chars = 0
  private since = 0
  private urgent = false
  private queued = false

  constructor (private readonly sink: BatchSink) {}

  /** Characters waiting (UTF-16 units; equal to bytes for ASCII, the common case). */
  get pendingChars (): number { return this.chars }

  /** Adds a line (without its newline); `more` says that more output follows soon. */
  add (line: string, more: boolean): void {
    const lines = this.lines ??= []
    lines.push(line)
    this.chars += line.length + 1
    if (!more) this.urgent = true
    if (this.chars >= MAX_BATCH_CHARS) {
      // Under a backlog every connection's batch fills in the same turn, with the same lines: encoded once for all of
      // them, as at a check phase (each connection encoding its own 64 KB showed in profiles of a backlog). The next
      // check phase forgets those bytes.
      this.flush(true)
      arm()
      return
    }
    if (!this.queued) {
      this.queued = true
      this.since = performance.now()
      waiting.add(this)
      arm()
    } else if (!more) {
      // A held batch (a check phase found it not yet due) leaves at the next check phase, not at the hold timer.
      arm()
    }
  }

  /**
   * Writes what waits, now. `shared`: a flush whose lines may be the same as
   * the batch's written just before (sharedBytes): the check phase's, and a
   * batch's that reached MAX_BATCH_CHARS.
   */
  flush (shared = false): void {
    if (this.queued) {
      this.queued = false
      waiting.delete(this)
    }
    const lines = this.lines
    if (lines === undefined) return
    this.lines = undefined
    this.chars = 0
    this.urgent = false
    this.sink.writeBatch(shared ? sharedBytes(lines) : lines.length === 1 ? lines[0] + '\n' : lines.join('\n') + '\n')
  }

  /** Drops what waits (the connection is destroyed). */
  discard (): void {
    if (this.queued) {
      this.queued = false
      waiting.delete(this)
    }
    this.lines = undefined
    this.chars = 0
    this.urgent = false
  }

  /** Whether the check phase at `now` should write this batch. */
  due (now: number): boolean { return this.urgent || now - this.since >= HOLD_MS }
}

/** Batches with output waiting, flushed by one callback per check phase. */
const waiting = new Set<OutputBatch>()
let armed = false
let timer: NodeJS.Timeout | undefined
/** The lines last written with shared bytes, and those bytes; forgotten when a check phase ends. */
let lastLines: string[] | undefined
let lastBytes: Buffer | undefined

/**
 * The bytes of `lines` when the batch written just before (in this check
 * phase, or in this turn by batches that reached MAX_BATCH_CHARS) had the
 * same lines (the same strings, in the same order), encoded once for both;
 * otherwise encodes them and remembers them for the next.
 */
function sharedBytes (lines: string[]): Buffer {
  const previous = lastLines
  if (previous !== undefined && previous.length === lines.length && lastBytes !== undefined) {
    let same = true
    for (let i = 0; i < lines.length; i++) {
      if (previous[i] !== lines[i]) {
        same = false
        break
      }
    }
    if (same) return lastBytes
  }
  lastLines = lines
  lastBytes = Buffer.from(lines.length === 1 ? lines[0] + '\n' : lines.join('\n') + '\n')
  return lastBytes
}

function arm (): void {
  if (armed) return
  armed = true
  setImmediate(checkPhase)
}

function checkPhase (): void {
  armed = false
  const now = performance.now()
  try {
    for (const batch of waiting) if (batch.due(now)) batch.flush(true)
  } finally {
    lastLines = undefined
    lastBytes = undefined
  }
  if (waiting.size === 0) {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  } else if (timer === undefined) {
    timer = setTimeout(() => {
      timer = undefined
      arm()
    }, HOLD_TIMER_MS)
  }
}

/**
 * The queues of one bot session's consumers on disk: one append-only log
 * (`<session folder>/bot-api/queues.log`), a JSON object a line. A change of
 * any queue is a small record (an update pushed, updates confirmed below an
 * offset); all the records of one event-loop turn, over every consumer, are
 * one write. So one customer's message to a hundred consumers is one append,
 * not a hundred files rewritten, and their confirmations are a few more.
 * Rarer changes (a webhook set, allowed_updates, a group's chat owners) are
 * the queue's whole state. When the log has grown enough it is compacted:
 * the whole state of every queue written beside it, then renamed over it, so
 * a crash leaves the old log or the new one. A last line cut off by a crash
 * is ignored; the records before it stand.
 *
 * A queue's whole state is also what the former one-file-per-consumer format
 * held (queue-file.ts), so such a file reads as a log of one line.
 */
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from '../log/logger.js'
import { checkQueueState, type QueueEntry, type QueueState } from './queue-file.js'

/** Compaction once the records appended since the last one pass this many bytes and twice the compacted size. */
export const COMPACT_AFTER = 4 * 1024 * 1024
/**
 * Most characters of records waiting for a write (a slow or stalled disk):
 * beyond it they are dropped and the next write is every queue whole, which
 * holds what they said and is bounded by the queues' own size (max_queue).
 */
export const MAX_PENDING_CHARS = COMPACT_AFTER

/** One line of the log: a queue's whole state, or a change of it. `q` names the queue ('' in a log of one queue). */
type Record_ =
  | (QueueState & { q?: string })
  | { q?: string, push: QueueEntry }
  | { q?: string, below: number }
  | { q?: string, keep: number }

const emptyState = (): QueueState => ({ next_id: 1, entries: [] })

/**
 * Applies the log's lines to `states` (by queue name). Throws when a line
 * other than a cut-off last one is not a record.
 */
export function replay (text: string, file: string, states: Map<string, QueueState>): { torn: boolean } {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  let torn = false
  for (const [i, line] of lines.entries()) {
    let r: Record_
    try {
      r = JSON.parse(line) as Record_
      if (typeof r !== 'object' || r === null) throw new Error('not an object')
    } catch (e) {
      // A crash during an append leaves part of its last line; the lines before it are whole.
      if (i === lines.length - 1 && i > 0 && !text.endsWith('\n')) { torn = true; break }
      throw new Error(`${file}: line ${i + 1} is not a Bot API queue record (${(e as Error).message})`)
    }
    const name = typeof r.q === 'string' ? r.q : ''
    if ('push' in r) {
      const state = states.get(name) ?? emptyState()
      const e = r.push
      if (typeof e?.update_id !== 'number' || typeof e.kind !== 'string' || typeof e.update !== 'object') throw new Error(`${file}: line ${i + 1}: a pushed update without update_id, kind or update`)
      // Idempotent: an update already counted is not added twice.
      if (e.chat !== undefined && typeof e.chat !== 'number') delete (e as { chat?: unknown }).chat
      if (e.update_id >= state.next_id) {
        state.entries.push(e)
        state.next_id = e.update_id + 1
      }
      states.set(name, state)
    } else if ('below' in r) {
      const state = states.get(name) ?? emptyState()
      state.entries = state.entries.filter(e => e.update_id >= Number(r.below))
      states.set(name, state)
    } else if ('keep' in r) {
      const state = states.get(name) ?? emptyState()
      const keep = Math.max(0, Number(r.keep))
      state.entries = keep === 0 ? [] : state.entries.slice(-keep)
      states.set(name, state)
    } else {
      const { q: _, ...rest } = r as QueueState & { q?: string }
      states.set(name, checkQueueState(rest, file))
    }
  }
  return { torn }
}

/** A queue as the log sees it: its name, and its state now (for compaction). */
interface Member { readonly name: string, state(): QueueState }

/**
 * The log of one bot session (or of one queue, named ''). Appends are
 * coalesced: whatever is recorded while one write runs goes in the next.
 */
export class QueueLog {
  private loaded: Promise<Map<string, QueueState>> | undefined
  /** Saved states of queues that no member holds (a consumer taken out of settings): kept through compactions. */
  private readonly orphans = new Map<string, QueueState>()
  private readonly members = new Map<string, Member>()
  private lines: string[] = []
  private pendingChars = 0
  private running: Promise<void> | undefined
  private handle: FileHandle | undefined
  /** Bytes appended since the log was last written whole, and that whole's size. */
  private appended = 0
  private compacted = 0
  /** A write failed: the next one writes every queue whole, so no change is missing from the log. */
  private resync = false

  constructor (readonly file: string, private readonly log: Logger) {}

  /**
   * The saved states, read once for every queue of the log. A log that
   * cannot be read as one is moved aside (kept for a human, never
   * overwritten) and its queues start empty, so one broken file does not
   * keep the broker from starting.
   */
  async read (): Promise<Map<string, QueueState>> {
    this.loaded ??= (async () => {
      const states = new Map<string, QueueState>()
      let text: string
      try {
        text = await readFile(this.file, 'utf8')
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return states
        throw e
      }
      try {
        const { torn } = replay(text, this.file, states)
        if (torn) this.log.warn({ file: this.file }, 'Bot API queue file: a last line cut off (a crash while writing) is ignored')
        // A cut-off line, or a file of the former format (no newline at its end), is rewritten whole before anything is appended.
        if (text !== '' && !text.endsWith('\n')) this.resync = true
      } catch (e) {
        states.clear()
        const aside = `${this.file}.broken-${Date.now()}`
        await rename(this.file, aside).catch(() => {})
        this.log.error({ file: this.file, moved_to: aside, err: (e as Error).message }, 'Bot API queue file unusable: moved aside, the queue starts empty')
        this.resync = true
        return states
      }
      for (const [name, state] of states) this.orphans.set(name, state)
      this.compacted = text.length
      return states
    })()
    return await this.loaded
  }

  /** A queue joins the log (its state is written whole at each compaction). */
  join (member: Member): void {
    this.members.set(member.name, member)
    this.orphans.delete(member.name)
  }

  /** Appends a record (a line of JSON, without its newline), written in this event-loop turn's write. */
  record (line: string): void {
    if (this.pendingChars + line.length > MAX_PENDING_CHARS) {
      this.lines = []
      this.pendingChars = 0
      this.resync = true
    } else {
      this.lines.push(line)
      this.pendingChars += line.length + 1
    }
    this.running ??= this.loop()
  }

  /** A queue's whole state. */
  whole (name: string, state: QueueState): void {
    this.record(wholeLine(name, state))
  }

  /** Whether everything recorded so far is in the file (after flush: no write failed since). */
  get written (): boolean { return !this.resync && this.lines.length === 0 }

  /** Waits until everything recorded so far is written; after a failed write, tries once more. */
  async flush (): Promise<void> {
    if (this.resync) this.running ??= this.loop()
    while (this.running !== undefined) await this.running
  }

  /** Writes what is pending and closes the file. */
  async close (): Promise<void> {
    await this.flush()
    const handle = this.handle
    this.handle = undefined
    await handle?.close()
  }

  private async loop (): Promise<void> {
    // One turn of the event loop first: every queue's records of this turn are one write.
    await new Promise(resolve => setImmediate(resolve))
    try {
      while (this.lines.length > 0 || this.resync) {
        if (this.resync || (this.appended > COMPACT_AFTER && this.appended > 2 * this.compacted)) {
          this.lines = []
          this.pendingChars = 0
          await this.compact()
          continue
        }
        const text = this.lines.join('\n') + '\n'
        this.lines = []
        this.pendingChars = 0
        if (this.handle === undefined) {
          await mkdir(dirname(this.file), { recursive: true })
          this.handle = await open(this.file, 'a')
        }
        await this.handle.write(text)
        this.appended += text.length
      }
    } catch (e) {
      this.resync = true
      const handle = this.handle
      this.handle = undefined
      await handle?.close().catch(() => {})
      this.log.error({ file: this.file, err: (e as Error).message }, 'Bot API queue could not be saved')
    } finally {
      this.running = undefined
    }
  }

  /** Every queue whole, beside the log, then renamed over it. */
  private async compact (): Promise<void> {
    this.resync = false
    const parts: string[] = []
    for (const [name, state] of this.orphans) parts.push(wholeLine(name, state))
    for (const m of this.members.values()) parts.push(wholeLine(m.name, m.state()))
    const text = parts.length === 0 ? '' : parts.join('\n') + '\n'
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.tmp`
    const out = await open(tmp, 'w')
    try {
      await out.write(text)
    } finally {
      await out.close()
    }
    const handle = this.handle
    this.handle = undefined
    await handle?.close()
    await rename(tmp, this.file)
    this.compacted = text.length
    this.appended = 0
  }
}

/** A queue's whole state as a record. */
function wholeLine (name: string, state: QueueState): string {
  return JSON.stringify(name === '' ? state : { q: name, ...state })
}

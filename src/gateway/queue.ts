/**
 * One consumer's updates with the Bot API's semantics: update_id increasing
 * per consumer, confirmed by getUpdates' offset, limit, long polling with
 * timeout, allowed_updates. Only this consumer reads it, so no consumer can
 * take another's updates. A second getUpdates while one waits ends the first
 * with 409, as Telegram does. Kept in a file (queue-file.ts) so a restart
 * loses nothing and repeats nothing that was confirmed.
 */
import { rename } from 'node:fs/promises'
import type { Logger } from '../log/logger.js'
import { BotApiError } from './errors.js'
import { QueueWriter, readQueueFile, type QueueEntry, type QueueState, type WebhookState } from './queue-file.js'

/** Kinds sent when the consumer never said (Telegram's default: all but these). */
const NOT_BY_DEFAULT: ReadonlySet<string> = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])

interface Waiter { wake: () => void, conflict: () => void }

export class UpdateQueue {
  private state: QueueState = { next_id: 1, entries: [] }
  private waiter: Waiter | undefined
  private readonly writer: QueueWriter
  /** Called after every push (the webhook sender listens). */
  onPush: () => void = () => {}

  constructor (private readonly file: string, private readonly maxQueue: number, private readonly log: Logger) {
    this.writer = new QueueWriter(file, e => { this.log.error({ file, err: e.message }, 'Bot API queue could not be saved') })
  }

  /**
   * Reads the saved queue, if there is one. A file that cannot be read as a
   * queue is moved aside (kept for a human, never overwritten) and the queue
   * starts empty, so one broken file does not keep the broker from starting.
   */
  async load (): Promise<void> {
    try {
      const saved = await readQueueFile(this.file)
      if (saved !== undefined) this.state = saved
    } catch (e) {
      const aside = `${this.file}.broken-${Date.now()}`
      await rename(this.file, aside).catch(() => {})
      this.log.error({ file: this.file, moved_to: aside, err: (e as Error).message }, 'Bot API queue file unusable: moved aside, the queue starts empty')
    }
  }

  get pendingCount (): number { return this.state.entries.length }

  /** Whether the consumer wants updates of this kind (its allowed_updates, or the default). */
  wants (kind: string): boolean {
    const allowed = this.state.allowed_updates
    if (allowed === undefined || allowed.length === 0) return !NOT_BY_DEFAULT.has(kind)
    return allowed.includes(kind)
  }

  /** Adds an update (when the consumer wants its kind); the oldest is dropped beyond max_queue. */
  push (kind: string, update: Record<string, unknown>): void {
    if (!this.wants(kind)) return
    this.state.entries.push({ update_id: this.state.next_id++, kind, update })
    if (this.state.entries.length > this.maxQueue) {
      const dropped = this.state.entries.splice(0, this.state.entries.length - this.maxQueue)
      this.log.warn({ file: this.file, dropped: dropped.length, max_queue: this.maxQueue }, 'Bot API queue full: oldest updates dropped')
    }
    this.save()
    this.waiter?.wake()
    this.onPush()
  }

  /** The consumer's allowed_updates, if it set any. */
  get allowedUpdates (): string[] | undefined { return this.state.allowed_updates }

  get webhook (): WebhookState | undefined { return this.state.webhook }

  /** Sets or (undefined) removes the webhook; a waiting getUpdates ends with 409. */
  setWebhook (webhook: WebhookState | undefined, allowedUpdates: string[] | undefined): void {
    if (webhook === undefined) delete this.state.webhook
    else this.state.webhook = webhook
    if (allowedUpdates !== undefined) this.state.allowed_updates = allowedUpdates
    this.save()
    this.waiter?.conflict()
  }

  /** The oldest unconfirmed update (for the webhook sender). */
  first (): Record<string, unknown> | undefined {
    const entry = this.state.entries[0]
    return entry === undefined ? undefined : toUpdate(entry)
  }

  /** Confirms one delivered update (the webhook sender). */
  delivered (updateId: number): void {
    this.confirm(updateId + 1)
  }

  /**
   * getUpdates: confirms everything below `offset` (a negative offset keeps
   * only the last -offset), then returns up to `limit` updates, waiting up
   * to `timeoutMs` when there are none.
   */
  async take (offset: number | undefined, limit: number, timeoutMs: number, allowedUpdates: string[] | undefined): Promise<Array<Record<string, unknown>>> {
    if (this.state.webhook !== undefined) throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
    if (allowedUpdates !== undefined) {
      this.state.allowed_updates = allowedUpdates
      this.save()
    }
    this.confirm(offset)
    // A newer call ends an older one that still waits.
    this.waiter?.conflict()
    if (this.state.entries.length === 0 && timeoutMs > 0) await this.wait(timeoutMs)
    return this.state.entries.slice(0, limit).map(toUpdate)
  }

  /** Drops every update (drop_pending_updates). */
  clear (): void {
    this.state.entries = []
    this.save()
  }

  /** Wakes a waiting getUpdates with 409 (a webhook was set) and writes what is pending. */
  async close (): Promise<void> {
    this.waiter?.conflict()
    await this.writer.flush()
  }

  /** Ends a waiting getUpdates with this conflict (e.g. a webhook was set). */
  interrupt (): void { this.waiter?.conflict() }

  private confirm (offset: number | undefined): void {
    if (offset === undefined || offset === 0) return
    const before = this.state.entries.length
    if (offset < 0) this.state.entries = this.state.entries.slice(Math.max(0, before + offset))
    else this.state.entries = this.state.entries.filter(e => e.update_id >= offset)
    if (this.state.entries.length !== before) this.save()
  }

  private async wait (timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        if (this.waiter === waiter) this.waiter = undefined
      }
      const waiter: Waiter = {
        wake: () => { done(); resolve() },
        conflict: () => { done(); reject(new BotApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running')) }
      }
      const timer = setTimeout(waiter.wake, timeoutMs)
      this.waiter = waiter
    })
  }

  private save (): void {
    this.writer.save({ ...this.state })
  }
}

function toUpdate (entry: QueueEntry): Record<string, unknown> {
  return { update_id: entry.update_id, [entry.kind]: entry.update }
}

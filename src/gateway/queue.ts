/**
 * One consumer's updates with the Bot API's semantics: update_id increasing
 * per consumer, confirmed by getUpdates' offset, limit, long polling with
 * timeout, allowed_updates. Only this consumer reads it, so no consumer can
 * take another's updates. A second getUpdates while one waits ends the first
 * with 409, as Telegram does. Kept in a log (queue-log.ts: one for all the
 * consumers of a bot session, one write per event-loop turn) so a restart
 * loses nothing and repeats nothing that was confirmed. A consumer group's
 * instances share one queue, each getting the updates of its own chats
 * (group.ts).
 */
import { rename, rm } from 'node:fs/promises'
import type { Logger } from '../log/logger.js'
import type { Departure } from './departure.js'
import { BotApiError, badRequest } from './errors.js'
import { chatKeyOf, GroupState, type Waiter } from './group.js'
import { readQueueFile, type QueueEntry, type QueueState, type WebhookState } from './queue-file.js'
import { QueueLog } from './queue-log.js'

/** Updates a webhook may have taken out of order before the queue is written whole (delivered()). */
const MAX_UNLOGGED = 64

/** Kinds sent when the consumer never said (Telegram's default: all but these). */
const NOT_BY_DEFAULT: ReadonlySet<string> = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])

/** Who polls: the group instance (consumer groups only) and the request's end (the client went away). */
export interface Poller { readonly instance?: string, readonly departure?: Departure }

const conflictError = (): BotApiError => new BotApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running')

/** A log shared by several queues (one bot session's consumers), and this queue's name in it. */
export interface SharedLog { readonly log: QueueLog, readonly name: string }

export class UpdateQueue {
  private state: QueueState = { next_id: 1, entries: [] }
  private waiter: Waiter | undefined
  private readonly store: QueueLog
  /** This queue's name in the log ('' when the log is its own). */
  private readonly name: string
  /** The name as it starts a record: `"q":"<name>",`, or nothing in a log of its own. */
  private readonly prefix: string
  /** Set for a consumer group (group.ts): instances share the queue. */
  private readonly group: GroupState | undefined
  private readonly handoverTimers = new Map<string, NodeJS.Timeout>()
  /** Update ids a webhook took ahead of an older update, not yet in the log (delivered()). */
  private readonly unlogged = new Set<number>()
  /** Called after every push (the webhook sender listens). */
  onPush: () => void = () => {}

  /**
   * `handoverMs` makes it a consumer group's queue: an instance silent that
   * long loses its chats. Without `shared`, the queue is kept in a log of its
   * own, `file`; with it, in the shared log, and `file` is where the former
   * format kept it (read once, then removed).
   */
  constructor (private readonly file: string, private readonly maxQueue: number, private readonly log: Logger, private readonly handoverMs?: number, private readonly shared?: SharedLog) {
    this.store = shared?.log ?? new QueueLog(file, log)
    this.name = shared?.name ?? ''
    this.prefix = this.name === '' ? '' : `"q":${JSON.stringify(this.name)},`
    this.group = handoverMs === undefined ? undefined : new GroupState(handoverMs)
  }

  /**
   * Reads the saved queue, if there is one. A log that cannot be read is
   * moved aside and its queues start empty (queue-log.ts); so does a file of
   * the former format that cannot be.
   */
  async load (): Promise<void> {
    const saved = (await this.store.read()).get(this.name)
    if (saved !== undefined) this.state = saved
    else if (this.shared !== undefined) await this.migrate()
    this.store.join({ name: this.name, state: () => this.saved() })
    this.group?.restore(this.state.entries, this.state.chat_owners ?? [])
  }

  /** A queue the former format kept in a file of its own goes into the shared log, then the file goes. */
  private async migrate (): Promise<void> {
    let saved: QueueState | undefined
    try {
      saved = await readQueueFile(this.file)
    } catch (e) {
      const aside = `${this.file}.broken-${Date.now()}`
      await rename(this.file, aside).catch(() => {})
      this.log.error({ file: this.file, moved_to: aside, err: (e as Error).message }, 'Bot API queue file unusable: moved aside, the queue starts empty')
      return
    }
    if (saved === undefined) return
    this.state = saved
    this.store.whole(this.name, this.saved())
    await this.store.flush()
    // Kept while the log could not take it (a write failed): it is read again at the next start.
    if (this.store.written) await rm(this.file, { force: true })
  }

  get pendingCount (): number { return this.state.entries.length }

  /** Whether the consumer wants updates of this kind (its allowed_updates, or the default). */
  wants (kind: string): boolean {
    const allowed = this.state.allowed_updates
    if (allowed === undefined || allowed.length === 0) return !NOT_BY_DEFAULT.has(kind)
    return allowed.includes(kind)
  }

  /** Adds an update (when the consumer wants its kind) about `chat`, if any; the oldest is dropped beyond max_queue. */
  push (kind: string, update: Record<string, unknown>, chat?: number): void {
    if (!this.wants(kind)) return
    const id = this.state.next_id++
    this.state.entries.push({ update_id: id, kind, update, ...(chat === undefined ? {} : { chat }) })
    // The record splices the update's JSON, encoded once for every consumer.
    this.store.record(`{${this.prefix}"push":{"update_id":${id},"kind":${JSON.stringify(kind)},"update":${jsonOf(update)}${chat === undefined ? '' : `,"chat":${JSON.stringify(chat)}`}}}`)
    if (this.state.entries.length > this.maxQueue) {
      const dropped = this.state.entries.splice(0, this.state.entries.length - this.maxQueue)
      // "keep" counts from the log's end: with updates taken out of order and not yet recorded, it would keep others.
      if (this.unlogged.size > 0) this.save()
      else this.store.record(`{${this.prefix}"keep":${this.maxQueue}}`)
      this.log.warn({ file: this.store.file, dropped: dropped.length, max_queue: this.maxQueue }, 'Bot API queue full: oldest updates dropped')
    }
    this.waiter?.wake()
    this.group?.wakeAll()
    this.onPush()
  }

  /** Whether instances of a consumer group share this queue. */
  get isGroup (): boolean { return this.group !== undefined }

  /** The consumer's allowed_updates, if it set any. */
  get allowedUpdates (): string[] | undefined { return this.state.allowed_updates }

  get webhook (): WebhookState | undefined { return this.state.webhook }

  /** Sets or (undefined) removes the webhook; a waiting getUpdates ends with 409. */
  setWebhook (webhook: WebhookState | undefined, allowedUpdates: string[] | undefined): void {
    if (webhook === undefined) delete this.state.webhook
    else this.state.webhook = webhook
    if (allowedUpdates !== undefined) this.state.allowed_updates = allowedUpdates
    this.save()
    // A group's instances all call deleteWebhook when they start (grammY does): that must not end the others' polls.
    if (this.group === undefined || webhook !== undefined) this.interrupt()
  }

  /** The unconfirmed updates, oldest first (the webhook sender picks from them; never changed by it). */
  get entries (): readonly QueueEntry[] { return this.state.entries }

  /**
   * A webhook took this update: it leaves the queue, even while older ones
   * (of other chats) are still on their way. The log records how far the
   * queue is delivered from its start ("below", which versions before
   * parallel webhooks read too); an update taken ahead of an older one is
   * recorded when the older one goes, or, once more than MAX_UNLOGGED are
   * waiting so, by writing the queue whole. So after a crash at most that
   * many delivered updates are sent again, and none is lost.
   */
  delivered (entry: QueueEntry): void {
    const entries = this.state.entries
    const i = entries.indexOf(entry)
    // Gone meanwhile: drop_pending_updates, or max_queue dropped it.
    if (i === -1) return
    entries.splice(i, 1)
    if (i > 0) {
      this.unlogged.add(entry.update_id)
      if (this.unlogged.size > MAX_UNLOGGED) this.save()
      return
    }
    const below = entries[0]?.update_id ?? this.state.next_id
    for (const id of this.unlogged) if (id < below) this.unlogged.delete(id)
    this.store.record(`{${this.prefix}"below":${below}}`)
  }

  /**
   * getUpdates: confirms everything below `offset` (a negative offset keeps
   * only the last -offset), then returns up to `limit` updates, waiting up
   * to `timeoutMs` when there are none.
   */
  async take (offset: number | undefined, limit: number, timeoutMs: number, allowedUpdates: string[] | undefined, poller: Poller = {}): Promise<Array<Record<string, unknown>>> {
    if (this.state.webhook !== undefined) throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
    if (this.group !== undefined && poller.instance === undefined) {
      throw badRequest('this token is a consumer group\'s: each instance must name itself, as <token>~<instance> or in the X-Tdbroker-Instance header')
    }
    if (this.group === undefined && poller.instance !== undefined) throw badRequest('an instance name (<token>~<instance>) is only for consumer groups, and this consumer is not one')
    // Frameworks send the same allowed_updates with every call: only a change is written.
    if (allowedUpdates !== undefined && !sameList(allowedUpdates, this.state.allowed_updates)) {
      this.state.allowed_updates = allowedUpdates
      this.save()
    }
    if (this.group !== undefined) return await this.takeGroup(this.group, poller.instance as string, offset, limit, timeoutMs, poller.departure)
    this.confirm(offset)
    // A newer call ends an older one that still waits.
    this.waiter?.conflict()
    if (this.state.entries.length === 0 && timeoutMs > 0) await this.wait(timeoutMs, poller.departure)
    return this.state.entries.slice(0, limit).map(toUpdate)
  }

  /** Drops every update (drop_pending_updates). */
  clear (): void {
    this.state.entries = []
    this.unlogged.clear()
    this.store.record(`{${this.prefix}"keep":0}`)
  }

  /** Wakes a waiting getUpdates with 409 (a webhook was set) and writes what is pending. */
  async close (): Promise<void> {
    this.interrupt()
    for (const timer of this.handoverTimers.values()) clearTimeout(timer)
    this.handoverTimers.clear()
    // Updates a webhook took out of order go into the log now, so a clean restart sends none of them again.
    if (this.unlogged.size > 0) this.save()
    // A shared log is closed by its owner (the gateway), once its queues are.
    if (this.shared === undefined) await this.store.close()
    else await this.store.flush()
  }

  /** Ends every waiting getUpdates with this conflict (e.g. a webhook was set). */
  interrupt (): void {
    this.waiter?.conflict()
    if (this.group !== undefined) for (const waiter of [...this.group.waiting.values()]) waiter.conflict()
  }

  /**
   * getUpdates of one instance of a consumer group: confirms its own updates
   * below offset, ends its own older poll with 409 (as Telegram would), then
   * takes what group.ts gives it, waiting until something comes.
   */
  private async takeGroup (g: GroupState, instance: string, offset: number | undefined, limit: number, timeoutMs: number, departure: Departure | undefined): Promise<Array<Record<string, unknown>>> {
    g.touch(instance)
    if (offset !== undefined && offset !== 0) {
      const done = g.confirmed(this.state.entries, instance, offset)
      if (done.size > 0) {
        this.state.entries = this.state.entries.filter(e => !done.has(e))
        for (const e of done) g.confirmedOne(e)
        this.save()
      }
    }
    g.waiting.get(instance)?.conflict()
    const deadline = Date.now() + timeoutMs
    try {
      for (;;) {
        if (departure?.gone === true) return []
        g.touch(instance)
        const out = g.select(this.state.entries, instance, limit, moved => { this.renumber(moved) })
        g.contenders.delete(instance)
        if (out.length > 0) this.save()
        const left = deadline - Date.now()
        if (out.length > 0 || left <= 0) return out.map(toUpdate)
        await this.waitInGroup(g, instance, left, departure)
      }
    } finally {
      g.contenders.delete(instance)
      g.touch(instance)
      this.scheduleHandover(g, instance)
    }
  }

  /** Gives the entries of these chats new update_ids, moving them (in order) to the queue's end. */
  private renumber (moved: Set<string>): void {
    const entries = this.state.entries
    const keep: QueueEntry[] = []
    const move: QueueEntry[] = []
    for (const e of entries) (moved.has(chatKeyOf(e)) ? move : keep).push(e)
    const renewed = move.map(e => ({ update_id: this.state.next_id++, kind: e.kind, update: e.update, ...(e.chat === undefined ? {} : { chat: e.chat }) }))
    // In place: the caller is iterating this array.
    entries.splice(0, entries.length, ...keep, ...renewed)
    this.log.info({ file: this.file, updates: move.length, chats: moved.size }, 'consumer group: chats of a silent instance handed over')
  }

  /** When an instance stays silent past the handover time, waiting instances look again (they take its chats). */
  private scheduleHandover (g: GroupState, instance: string): void {
    clearTimeout(this.handoverTimers.get(instance))
    const timer = setTimeout(() => {
      this.handoverTimers.delete(instance)
      g.wakeAll()
    }, (this.handoverMs ?? 0) + 10)
    timer.unref()
    this.handoverTimers.set(instance, timer)
  }

  private async waitInGroup (g: GroupState, instance: string, ms: number, departure: Departure | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        departure?.off(waiter.wake)
        if (g.waiting.get(instance) === waiter) g.waiting.delete(instance)
      }
      const waiter: Waiter = {
        wake: () => { done(); resolve() },
        conflict: () => { done(); reject(conflictError()) }
      }
      const timer = setTimeout(waiter.wake, ms)
      departure?.on(waiter.wake)
      g.waiting.set(instance, waiter)
    })
  }

  private confirm (offset: number | undefined): void {
    if (offset === undefined || offset === 0) return
    const before = this.state.entries.length
    if (offset < 0) this.state.entries = this.state.entries.slice(Math.max(0, before + offset))
    else this.state.entries = this.state.entries.filter(e => e.update_id >= offset)
    if (this.state.entries.length === before) return
    this.store.record(offset < 0 ? `{${this.prefix}"keep":${this.state.entries.length}}` : `{${this.prefix}"below":${offset}}`)
  }

  /** Until an update comes, a newer poll or a webhook ends this one, the time is up or the client went (at once if it has). */
  private async wait (timeoutMs: number, departure?: Departure): Promise<void> {
    if (departure?.gone === true) return
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        departure?.off(waiter.wake)
        if (this.waiter === waiter) this.waiter = undefined
      }
      const waiter: Waiter = {
        wake: () => { done(); resolve() },
        conflict: () => { done(); reject(conflictError()) }
      }
      const timer = setTimeout(waiter.wake, timeoutMs)
      departure?.on(waiter.wake)
      this.waiter = waiter
    })
  }

  /** The whole state as saved (a group's chat owners with it). */
  private saved (): QueueState {
    return { ...this.state, ...(this.group === undefined ? {} : { chat_owners: this.group.savedOwners() }) }
  }

  /** Records the whole state (rarer changes: webhook, allowed_updates, a group's owners). */
  private save (): void {
    this.unlogged.clear()
    this.store.whole(this.name, this.saved())
  }
}

function sameList (a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * JSON texts of the Bot API objects in updates: one update goes to every
 * consumer as the same object (bot-session.ts converts it once), so it is
 * encoded once, not once per consumer and poll. Entries are never changed
 * after they are queued, and the texts go when the objects do.
 */
const encoded = new WeakMap<object, string>()

/** An update (toUpdate's form) as JSON, byte for byte JSON.stringify's, its object encoded once for all consumers. */
export function updateJson (update: Record<string, unknown>): string {
  let out = '{'
  for (const key in update) {
    const value = update[key]
    if (value === undefined) continue
    const text = typeof value === 'object' && value !== null ? jsonOf(value) : JSON.stringify(value)
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${text}`
  }
  return out + '}'
}

/** An update's object as JSON, encoded once for every consumer (and for the log). */
function jsonOf (value: object): string {
  let text = encoded.get(value)
  if (text === undefined) {
    text = JSON.stringify(value)
    encoded.set(value, text)
  }
  return text
}

/** The update as getUpdates and webhooks give it (the chat and owner stay inside the queue). */
export function toUpdate (entry: QueueEntry): Record<string, unknown> {
  return { update_id: entry.update_id, [entry.kind]: entry.update }
}

/**
 * A consumer group: several instances of one backend poll with the same
 * token and share its queue. Each update goes to one instance; every update
 * of one chat goes to the instance that owns the chat, in order; a chat
 * without a live owner goes to the instance that asks first (the one that
 * has waited longest, when several wait). An instance is alive while it has
 * a getUpdates waiting, and for handoverMs after its last one; after that
 * its chats, with their unconfirmed updates, move to the next instance that
 * asks. Moved updates get new update_ids, so each instance sees its
 * update_ids increase and its `offset` confirms only its own updates.
 *
 * The instance name comes from the token's suffix (`<token>~<instance>`) or
 * the X-Tdbroker-Instance header (docs/bot-api.md, "Consumer groups").
 */
import type { QueueEntry } from './queue-file.js'

/** Instances remembered per group (a dead instance without chats is forgotten first). */
export const MAX_INSTANCES = 1000
/** Chat owners remembered per group (the chat touched longest ago is forgotten first). */
export const MAX_CHAT_OWNERS = 10_000
/** An instance name: what a token suffix or header may carry. */
export const INSTANCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** The key updates are grouped by: their chat, or (no chat) the update itself, which any instance may take. */
export function chatKeyOf (entry: QueueEntry): string {
  return entry.chat === undefined ? `u${entry.update_id}` : `c${entry.chat}`
}

/** A waiting getUpdates: wake to look again, conflict to end it with 409. */
export interface Waiter { wake: () => void, conflict: () => void }

export class GroupState {
  /** Last time each instance was seen (a getUpdates began or ended). */
  private readonly seen = new Map<string, number>()
  /** Instances with a getUpdates waiting now, oldest waiter first. */
  readonly waiting = new Map<string, Waiter>()
  /** Instances woken by wakeAll that have not looked yet (they count as waiting when new chats are dealt out). */
  readonly contenders = new Set<string>()
  /** Chat key -> owning instance, in order of last use. */
  private readonly owners = new Map<string, string>()

  constructor (private readonly handoverMs: number, private readonly now: () => number = Date.now) {}

  /** Restores owners from saved entries; their instances count as seen now, so they keep their chats after a restart. */
  restore (entries: readonly QueueEntry[], chatOwners: ReadonlyArray<readonly [string, string]>): void {
    for (const [chat, instance] of chatOwners) this.own(chat, instance)
    for (const e of entries) if (e.owner !== undefined) this.own(chatKeyOf(e), e.owner)
    for (const instance of new Set(this.owners.values())) this.seen.set(instance, this.now())
  }

  /** The chat owners, for the queue file. */
  savedOwners (): Array<[string, string]> { return [...this.owners] }

  /** Marks an instance seen (a getUpdates of it began or ended). */
  touch (instance: string): void {
    this.seen.delete(instance)
    this.seen.set(instance, this.now())
    if (this.seen.size > MAX_INSTANCES) this.forgetOne()
  }

  alive (instance: string): boolean {
    if (this.waiting.has(instance)) return true
    const at = this.seen.get(instance)
    return at !== undefined && this.now() - at < this.handoverMs
  }

  /**
   * The entries for `instance`, up to `limit`, in order. Chats of dead
   * owners are taken over first: `renumber` gives their entries new ids (and
   * moves them to the queue's end); then the owner of every entry is fixed.
   */
  select (entries: QueueEntry[], instance: string, limit: number, renumber: (moved: Set<string>) => void): QueueEntry[] {
    const dead = new Set<string>()
    for (const e of entries) {
      const key = chatKeyOf(e)
      const owner = this.owners.get(key) ?? e.owner
      // Every entry of the chat moves, given out or not: the new owner may have confirmed past their ids.
      if (owner !== undefined && owner !== instance && !this.alive(owner)) dead.add(key)
    }
    if (dead.size > 0) {
      for (const key of dead) this.owners.delete(key)
      renumber(dead)
    }
    const out: QueueEntry[] = []
    // New chats are dealt out one per call while other instances wait, so one
    // instance waking first does not take a whole burst of new chats.
    const othersWait = [...this.waiting.keys(), ...this.contenders].some(w => w !== instance)
    let claimed: string | undefined
    for (const e of entries) {
      if (out.length >= limit) break
      const key = chatKeyOf(e)
      const owner = this.owners.get(key) ?? e.owner
      if (owner !== undefined && owner !== instance && this.alive(owner)) continue
      if (owner !== instance) {
        if (othersWait && claimed !== undefined && claimed !== key) continue
        claimed = key
        this.own(key, instance)
      }
      e.owner = instance
      out.push(e)
    }
    return out
  }

  /** Which entries `offset` confirms for `instance`: its own below offset (a negative offset keeps its last -offset). */
  confirmed (entries: readonly QueueEntry[], instance: string, offset: number): Set<QueueEntry> {
    const own = entries.filter(e => e.owner === instance)
    if (offset < 0) return new Set(own.slice(0, Math.max(0, own.length + offset)))
    return new Set(own.filter(e => e.update_id < offset))
  }

  /** Forgets the owner of a confirmed update that has no chat (its key is never used again). */
  confirmedOne (entry: QueueEntry): void {
    if (entry.chat === undefined) this.owners.delete(chatKeyOf(entry))
  }

  /** Wakes every waiting instance, oldest waiter first, so it takes new chats first. */
  wakeAll (): void {
    const woken = [...this.waiting]
    for (const [instance] of woken) this.contenders.add(instance)
    for (const [, waiter] of woken) waiter.wake()
  }

  private own (key: string, instance: string): void {
    this.owners.delete(key)
    this.owners.set(key, instance)
    if (this.owners.size > MAX_CHAT_OWNERS) this.owners.delete(this.owners.keys().next().value as string)
  }

  private forgetOne (): void {
    const owning = new Set(this.owners.values())
    for (const instance of this.seen.keys()) {
      if (!this.waiting.has(instance) && !owning.has(instance)) {
        this.seen.delete(instance)
        return
      }
    }
    this.seen.delete(this.seen.keys().next().value as string)
  }
}

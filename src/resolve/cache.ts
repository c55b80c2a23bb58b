/**
 * The resolution cache, in two parts:
 *
 * - shared records: username -> chat (and user) id and phone -> user id,
 *   kept in the store (they survive restarts and, with mysql set, are shared
 *   with other brokers), read while younger than resolve_cache_ttl. They are
 *   hints only: a session uses one when its own TDLib shows that the id fits
 *   (confirm.ts), never on the record's word;
 * - per session, in memory: what this session's own TDLib answered to its own
 *   lookups, keyed by session, within the same TTL. A session's earlier answer
 *   needs only a check that the session still knows the id.
 */
import type { UsernameRecord, UserRecord } from '../store/records.js'

/** Where resolutions are kept (the broker store; a Map for unit tests). */
export interface ResolutionStore {
  local: {
    username(name: string): UsernameRecord | undefined
    userByPhone(phone: string): UserRecord | undefined
  }
  rememberUser(user: Omit<UserRecord, 'updated'>): void
  rememberUsername(record: Omit<UsernameRecord, 'resolved'>): void
}

/** Most per-session answers kept, all sessions together; the oldest go first. */
export const MAX_SESSION_ENTRIES = 20_000

export class ResolveCache {
  /** Shared-record lookups that found a fresh record, and those that did not. */
  readonly stats = { hits: 0, misses: 0 }
  private readonly own = new Map<string, { id: number, at: number }>()

  /** `ttlSeconds` is read at every lookup (it follows a settings reload); 0 turns the cache off. */
  constructor (private readonly store: ResolutionStore, private readonly ttlSeconds: () => number) {}

  private fresh (at: number): boolean {
    const ttl = this.ttlSeconds()
    return ttl > 0 && Date.now() - at < ttl * 1000
  }

  username (name: string): UsernameRecord | undefined {
    const record = this.store.local.username(name)
    const hit = record !== undefined && this.fresh(record.resolved) ? record : undefined
    if (hit === undefined) this.stats.misses++
    else this.stats.hits++
    return hit
  }

  phone (phone: string): UserRecord | undefined {
    const record = this.store.local.userByPhone(phone)
    const hit = record !== undefined && this.fresh(record.updated) ? record : undefined
    if (hit === undefined) this.stats.misses++
    else this.stats.hits++
    return hit
  }

  putUsername (record: Omit<UsernameRecord, 'resolved'>): void { this.store.rememberUsername(record) }
  putUser (user: Omit<UserRecord, 'updated'>): void { this.store.rememberUser(user) }

  /** What `session` itself resolved `key` to, while fresh. */
  sessionAnswer (session: string, key: string): number | undefined {
    const entry = this.own.get(`${session}|${key}`)
    if (entry === undefined) return undefined
    if (this.fresh(entry.at)) return entry.id
    this.own.delete(`${session}|${key}`)
    return undefined
  }

  rememberSessionAnswer (session: string, key: string, id: number): void {
    const k = `${session}|${key}`
    this.own.delete(k)
    this.own.set(k, { id, at: Date.now() })
    while (this.own.size > MAX_SESSION_ENTRIES) this.own.delete(this.own.keys().next().value as string)
  }

  forgetSessionAnswer (session: string, key: string): void { this.own.delete(`${session}|${key}`) }
}

/**
 * The resolution cache: username -> chat (and user) id and phone -> user id,
 * each with is_bot, shared by every session, read from the store's records
 * while they are younger than resolve_cache_ttl. Kept in the store, so it
 * survives restarts and, with mysql set, is shared with other brokers.
 * An entry is only a hint for one session: see resolve-step.ts for the retry
 * when a session has not seen the id yet.
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

export class ResolveCache {
  /** Lookups answered from the cache, and lookups that had to ask TDLib. */
  readonly stats = { hits: 0, misses: 0 }

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
}

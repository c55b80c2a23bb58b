/**
 * The broker's storage: the local store (always) and the MySQL mirror (when
 * `mysql` is set), fed by what sessions do (session-watch.ts) and by
 * resolutions. Lifecycle: created -> open -> closed; close is idempotent.
 */
import { stat } from 'node:fs/promises'
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import { isTdError, type TdBackend, type TdClient, type TdObject } from '../tdlib/backend.js'
import { LocalStore, MAX_ENTRIES } from './local-store.js'
import { MysqlMirror, type MirrorOptions } from './mysql-mirror.js'
import { MAX_BACKUP_BYTES, packFolder } from './pack.js'
import { sealKeys, sealPack, type SealKey } from './seal.js'
import type { MirrorWrite, UsernameRecord, UserRecord } from './records.js'
import { watchBackend, type SessionWatcher } from './session-watch.js'

/** last_active is written at most this often per session, ms. */
const ACTIVITY_RESOLUTION_MS = 60_000

export interface BrokerStoreOptions {
  /** Mirror tuning for tests (queue bound, reconnect backoff). */
  mirror?: Pick<MirrorOptions, 'maxQueue' | 'retryMs'>
  maxBackupBytes?: number
}

export class BrokerStore implements SessionWatcher {
  readonly local: LocalStore
  readonly mirror: MysqlMirror | undefined
  private stateValue: 'created' | 'open' | 'closed' = 'created'
  private readonly log: Logger
  private readonly pending = new Set<Promise<unknown>>()
  /** Sessions that are logged in and running: their periodic backup timer and the backup in progress. */
  private readonly running = new Map<string, { timer?: NodeJS.Timeout, inFlight?: Promise<void> }>()
  /** Backups are sealed with this before they are spooled (undefined: no database key, not sealed). */
  private readonly sealKey: SealKey | undefined

  constructor (private readonly settings: Settings, log: Logger, private readonly options: BrokerStoreOptions = {}) {
    this.log = log.child({ component: 'store' })
    this.local = new LocalStore(settings.tdlib.path, this.log)
    this.sealKey = settings.tdlib.database_encryption_key === undefined ? undefined : sealKeys(settings.tdlib)[0]
    if (settings.mysql !== undefined) {
      this.mirror = new MysqlMirror(settings.mysql, this.log.child({ component: 'mysql' }), {
        ...options.mirror,
        spoolDir: settings.tdlib.path,
        resyncSource: () => this.allRows(),
      })
      this.local.onChange = write => { this.mirror?.enqueue(write) }
    }
  }

  get state (): 'created' | 'open' | 'closed' { return this.stateValue }

  /** The backend as sessions should use it: reporting to this store. */
  watch (backend: TdBackend): TdBackend { return watchBackend(backend, this) }

  /**
   * Reads the local store and connects the mirror. Throws when the mysql
   * settings are wrong (login, database, schema); an unreachable MySQL only
   * logs, and the broker serves from local data.
   */
  async open (): Promise<void> {
    if (this.stateValue !== 'created') throw new Error(`store cannot open from state ${this.stateValue}`)
    await this.local.open()
    if (this.settings.tdlib.backend === 'tdlib' && this.settings.tdlib.database_encryption_key === undefined) {
      this.log.warn(`tdlib.database_encryption_key is not set: session folders (each account's login) are stored unencrypted${this.mirror === undefined ? '' : ', and their MySQL backups are not sealed'}; see docs/storage.md, "Encryption at rest"`)
    } else if (this.settings.tdlib.database_encryption_key !== undefined) {
      // Key ids (fingerprints, never keys) let an operator see which folders and backups still use an old key.
      const keys = sealKeys(this.settings.tdlib)
      this.log.info({ key_id: keys[0]?.id, previous_key_id: keys[1]?.id }, 'session databases are encrypted, backups sealed')
    }
    if (this.mirror !== undefined) {
      const ttl = this.settings.resolve_cache_ttl
      const cache = await this.mirror.open(ttl > 0 ? Date.now() - ttl * 1000 : undefined, MAX_ENTRIES)
      const taken = this.local.merge(cache)
      if (taken > 0) this.log.info({ rows: taken }, 'resolutions taken from MySQL')
    }
    this.stateValue = 'open'
  }

  /** Waits for reports in progress (backups), writes the local store and closes the mirror. */
  async close (): Promise<void> {
    if (this.stateValue === 'closed') return
    this.stateValue = 'closed'
    for (const entry of this.running.values()) clearInterval(entry.timer)
    await Promise.allSettled([...this.pending])
    await this.local.close()
    await this.mirror?.close()
  }

  /** For broker.getStatus: nothing without mysql; with it, the mirror's state and what waits for it. */
  status (): Record<string, unknown> {
    if (this.mirror === undefined) return {}
    return { mysql: this.mirror.state, mysql_queued: this.mirror.queued, mysql_backups_pending: this.mirror.backupsPending }
  }

  /** A user learned from a login or a resolution. */
  rememberUser (user: Omit<UserRecord, 'updated'>): void {
    this.local.putUser({ ...user, updated: Date.now() })
  }

  rememberUsername (record: Omit<UsernameRecord, 'resolved'>): void {
    this.local.putUsername({ ...record, resolved: Date.now() })
  }

  // --- SessionWatcher ------------------------------------------------------

  started (sessionId: string, directory: string): void {
    const now = Date.now()
    if (this.local.session(sessionId) !== undefined) {
      this.local.putSession({ ...this.local.session(sessionId)!, last_active: now })
      return
    }
    this.track(stat(directory).then(info => info.birthtimeMs > 0 ? info.birthtimeMs : info.ctimeMs, () => now).then(created => {
      this.local.putSession({ ...this.local.session(sessionId), session_id: sessionId, created: Math.min(created, now), last_active: now })
    }))
  }

  used (sessionId: string): void {
    const record = this.local.session(sessionId)
    const now = Date.now()
    if (record !== undefined && now - record.last_active < ACTIVITY_RESOLUTION_MS) return
    this.local.putSession({ session_id: sessionId, created: record?.created ?? now, last_active: now })
  }

  authorized (sessionId: string, directory: string, client: TdClient): void {
    const login = client.invoke({ '@type': 'getMe' }).then(me => {
      if (isTdError(me)) {
        this.log.warn({ session: sessionId, err: me.message }, 'getMe failed after login; the session record stays without a user')
        return
      }
      const user = userFacts(me)
      const record = this.local.session(sessionId)
      this.local.putSession({ session_id: sessionId, created: record?.created ?? Date.now(), last_active: Date.now(), ...user })
      this.rememberUser(user)
      this.log.info({ session: sessionId, user_id: user.user_id, is_bot: user.is_bot }, 'session logged in')
    }, e => { this.log.warn({ session: sessionId, err: (e as Error).message }, 'getMe failed after login') })
    this.track(login)
    if (this.mirror === undefined || this.running.has(sessionId) || this.stateValue === 'closed') return
    // A login is worth keeping at once: a crash before the next clean stop would otherwise lose it.
    const entry: { timer?: NodeJS.Timeout, inFlight?: Promise<void> } = {}
    this.running.set(sessionId, entry)
    const runningBackup = (): void => {
      if (entry.inFlight !== undefined || this.running.get(sessionId) !== entry) return
      entry.inFlight = this.backUp(sessionId, directory, true).finally(() => { entry.inFlight = undefined })
      this.track(entry.inFlight)
    }
    void login.finally(runningBackup)
    const interval = this.settings.mysql?.backup_interval ?? 0
    if (interval > 0) entry.timer = setInterval(runningBackup, Math.min(interval * 1000, 2 ** 31 - 1)).unref()
  }

  async stopped (sessionId: string): Promise<void> {
    const entry = this.running.get(sessionId)
    if (entry === undefined) return
    this.running.delete(sessionId)
    clearInterval(entry.timer)
    await entry.inFlight
  }

  async closedCleanly (sessionId: string, directory: string): Promise<void> {
    if (this.mirror === undefined) return
    const work = this.backUp(sessionId, directory, false)
    this.track(work)
    await work
  }

  /**
   * Packs the folder (only its login files while TDLib runs: see pack.ts),
   * seals it when there is a database key, and hands it to the mirror.
   * Never throws: a failed backup is logged, and the session goes on.
   */
  private async backUp (sessionId: string, directory: string, whileRunning: boolean): Promise<void> {
    const mirror = this.mirror
    if (mirror === undefined) return
    try {
      const limit = this.options.maxBackupBytes ?? MAX_BACKUP_BYTES
      const pack = await packFolder(directory, limit, { loginOnly: whileRunning })
      if (pack === undefined) {
        this.log.warn({ session: sessionId, limit }, 'session folder is over the backup limit even without its message database; no backup taken')
        return
      }
      if (pack.loginOnly && !whileRunning) this.log.warn({ session: sessionId, limit }, 'session folder is over the backup limit: only the login (td.binlog) is backed up')
      if (whileRunning) this.log.debug({ session: sessionId, files: pack.files }, 'running session backup taken')
      await mirror.backup(sessionId, this.sealKey === undefined ? pack : sealPack(pack, this.sealKey, sessionId))
    } catch (e) {
      this.log.error({ session: sessionId, err: (e as Error).message }, 'session backup failed')
    }
  }

  private track (work: Promise<unknown>): void {
    const tracked = work.catch(e => { this.log.error({ err: (e as Error).message }, 'store update failed') }).finally(() => { this.pending.delete(tracked) })
    this.pending.add(tracked)
  }

  private allRows (): MirrorWrite[] {
    return [
      ...this.local.listSessions().map(row => ({ table: 'sessions' as const, row })),
      ...this.local.listUsers().map(row => ({ table: 'users' as const, row })),
      ...this.local.listUsernames().map(row => ({ table: 'usernames' as const, row })),
    ]
  }
}

/** user_id, phone (digits) and is_bot of a TDLib user object. */
export function userFacts (user: TdObject): { user_id: number, phone?: string, is_bot: boolean } {
  const phone = typeof user.phone_number === 'string' && user.phone_number !== '' ? user.phone_number.replace(/\D/g, '') : undefined
  return {
    user_id: Number(user.id),
    is_bot: (user.type as TdObject | undefined)?.['@type'] === 'userTypeBot',
    ...(phone === undefined ? {} : { phone }),
  }
}

/**
 * The MySQL mirror: a copy of the local store (sessions, users, usernames)
 * and the latest backup of every session folder. MySQL is never in the way:
 * writes go into a bounded queue and one worker sends them; while MySQL is
 * down or slow the queue holds them and the worker reconnects with backoff.
 *
 * States: created -> up | down (opening) ; up <-> down ; -> closed.
 *
 * At the queue bound the queue is dropped and a full resync (every row of
 * the local store, which is the truth) is done once MySQL answers again, so
 * the bound costs time, not data. Backups are spooled to a file next to the
 * session folders first and uploaded from there, so a backup taken during an
 * outage (or before a restart) is uploaded later.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './atomic-file.js'
import type { Logger } from '../log/logger.js'
import type { MysqlSettings } from '../settings/types.js'
import { isSessionId } from '../session/session-id.js'
import { configError, connect, endConnection, isDataError, MysqlConfigError, run, type MysqlConnection } from './mysql-connect.js'
import { checkSchema } from './mysql-schema.js'
import { applyWrites, readCache, writeBackup, type Db } from './mysql-rows.js'
import { sha256, type Pack } from './pack.js'
import { writeKey, type MirrorWrite, type UsernameRecord, type UserRecord } from './records.js'

export type MirrorState = 'created' | 'up' | 'down' | 'closed'

export interface MirrorOptions {
  /** Folder for spooled backups (tdlib.path). */
  spoolDir: string
  /** Writes held while MySQL is away before the queue is dropped for a full resync. */
  maxQueue?: number
  /** Reconnect backoff, ms: first wait and longest wait. */
  retryMs?: readonly [number, number]
  /** Every row of the local store, for a full resync. */
  resyncSource: () => MirrorWrite[]
}

export const DEFAULT_MAX_QUEUE = 10_000
/** How long close() keeps sending before it gives up (what is left goes at the next start). */
const CLOSE_FLUSH_MS = 10_000
const BATCH = 500
/** Seconds each query at start may take when read_timeout is 0. */
const START_READ_TIMEOUT_S = 15
const SPOOL_PREFIX = '.tdbroker-backup-'
const SPOOL_SUFFIX = '.pack'

interface Spooled { sessionId: string, sha256: string, taken: number, files: string[], loginOnly: boolean, contentSha256?: string }

export class MysqlMirror {
  private stateValue: MirrorState = 'created'
  private connection: MysqlConnection | undefined
  private readonly queue = new Map<string, MirrorWrite>()
  private resyncNeeded = false
  private readonly spooled = new Map<string, Spooled>()
  /** SHA-256 of the last backup stored per session in this run, so an unchanged folder is not sent again. */
  private readonly stored = new Map<string, string>()
  private worker: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private retryDelay: number
  private downSince: number | undefined
  private spoolChain: Promise<void> = Promise.resolve()
  private readonly maxQueue: number
  private readonly retryMs: readonly [number, number]
  /** Counters for status and tests. */
  readonly stats = { written: 0, backups: 0, dropped: 0, outages: 0, resyncs: 0 }

  constructor (readonly settings: MysqlSettings, private readonly log: Logger, private readonly options: MirrorOptions) {
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE
    this.retryMs = options.retryMs ?? [500, 15_000]
    this.retryDelay = this.retryMs[0]
  }

  get state (): MirrorState { return this.stateValue }
  get queued (): number { return this.queue.size }
  /** When MySQL went away (Date.now()), while it is down; the metrics show the lag from it. */
  get downSinceMs (): number | undefined { return this.stateValue === 'down' ? this.downSince : undefined }
  get backupsPending (): number { return this.spooled.size }
  /** True when nothing waits: every write and backup has reached MySQL. */
  get idle (): boolean { return this.queue.size === 0 && this.spooled.size === 0 && !this.resyncNeeded && this.worker === undefined }

  /**
   * Connects and checks the schema. A wrong login, a missing database or
   * missing tables throw MysqlConfigError. An unreachable server does not:
   * the broker starts on local data and the mirror keeps trying. Returns the
   * users and usernames MySQL has that are newer than `cacheSince`.
   */
  async open (cacheSince: number | undefined, cacheLimit: number): Promise<{ users: UserRecord[], usernames: UsernameRecord[] }> {
    await this.findSpooled()
    // The local store is the truth, and writes of the last run may not have arrived.
    this.resyncNeeded = true
    let connection: MysqlConnection
    try {
      connection = await connect(this.settings)
    } catch (e) {
      if (e instanceof MysqlConfigError) throw e
      this.markDown(e)
      return { users: [], usernames: [] }
    }
    try {
      // A server that accepts but does not answer must not hold the start: without read_timeout, a start timeout applies.
      const patient = { ...this.settings, read_timeout: this.settings.read_timeout > 0 ? this.settings.read_timeout : START_READ_TIMEOUT_S }
      const db: Db = { connection, settings: patient, log: this.log }
      await checkSchema(connection, patient, this.log)
      const cache = cacheSince === undefined ? { users: [], usernames: [] } : await readCache(db, cacheSince, cacheLimit)
      this.use(connection)
      this.log.info({ host: this.settings.host, port: this.settings.port, database: this.settings.database }, 'MySQL mirror connected')
      this.kick()
      return cache
    } catch (e) {
      connection.destroy()
      if (e instanceof MysqlConfigError) throw e
      const mistake = configError(this.settings, e)
      if (mistake !== undefined) throw mistake
      this.markDown(e)
      return { users: [], usernames: [] }
    }
  }

  /** Queues a row change (the newest change of a row replaces an older one still waiting). */
  enqueue (write: MirrorWrite): void {
    if (this.stateValue === 'closed') return
    const key = writeKey(write)
    if (!this.queue.has(key) && this.queue.size >= this.maxQueue) {
      this.stats.dropped += this.queue.size
      this.queue.clear()
      this.log.warn({ limit: this.maxQueue }, 'MySQL write queue full: queue dropped; every local row will be written again once MySQL answers')
      this.resyncNeeded = true
      return
    }
    this.queue.set(key, write)
    this.kick()
  }

  /** Spools a session's backup to disk (replacing an older one not yet sent), then sends it when it can. */
  async backup (sessionId: string, pack: Pack): Promise<void> {
    if (this.stateValue === 'closed') return
    const content = pack.contentSha256 ?? pack.sha256
    if (this.stored.get(sessionId) === content && !this.spooled.has(sessionId)) {
      this.log.debug({ session: sessionId }, 'session folder unchanged since its last backup; not sent again')
      return
    }
    const taken = Date.now()
    const file = this.spoolFile(sessionId)
    const meta: Spooled = { sessionId, sha256: pack.sha256, taken, files: pack.files, loginOnly: pack.loginOnly, contentSha256: content }
    await this.spooling(async () => {
      await writeFileAtomic(file, pack.data)
      await writeFile(`${file}.json`, JSON.stringify(meta) + '\n', { mode: 0o600 })
      this.spooled.set(sessionId, meta)
    })
    this.kick()
  }

  /** Sends what it can within a few seconds, then closes. Safe to call twice. */
  async close (): Promise<void> {
    if (this.stateValue === 'closed') return
    if (this.stateValue === 'up') {
      const deadline = new Promise<void>(resolve => { setTimeout(resolve, CLOSE_FLUSH_MS).unref() })
      const drained = (async () => { while (this.stateValue === 'up' && !this.idle) await (this.worker ?? this.kickAndWait()) })()
      await Promise.race([drained, deadline])
    }
    const left = { writes: this.queue.size, backups: this.spooled.size, resync: this.resyncNeeded }
    this.stateValue = 'closed'
    clearTimeout(this.retryTimer)
    const connection = this.connection
    this.connection = undefined
    if (connection !== undefined) await endConnection(connection)
    await this.worker?.catch(() => {})
    if (left.writes > 0 || left.backups > 0 || left.resync) this.log.warn(left, 'MySQL mirror closed with work left: it is written at the next start (the local store keeps everything)')
    else this.log.info('MySQL mirror closed, everything written')
  }

  private db (connection: MysqlConnection): Db { return { connection, settings: this.settings, log: this.log } }

  private async kickAndWait (): Promise<void> {
    this.kick()
    if (this.worker === undefined) await new Promise(resolve => setImmediate(resolve))
    else await this.worker
  }

  private kick (): void {
    if (this.stateValue !== 'up' || this.worker !== undefined) return
    this.worker = this.work().catch(e => { this.markDown(e) }).finally(() => {
      this.worker = undefined
      // Something may have arrived while the worker was finishing.
      if (this.stateValue === 'up' && !this.idle) this.kick()
    })
  }

  /** Sends everything waiting; an outage ends it (the work stays queued). */
  private async work (): Promise<void> {
    while (this.stateValue === 'up' && this.connection !== undefined) {
      const db = this.db(this.connection)
      if (this.resyncNeeded) {
        this.resyncNeeded = false
        try {
          const rows = this.options.resyncSource()
          for (let i = 0; i < rows.length; i += BATCH) await applyWrites(db, rows.slice(i, i + BATCH))
          this.stats.resyncs++
          this.stats.written += rows.length
          this.log.info({ rows: rows.length }, 'MySQL mirror resynced from the local store')
        } catch (e) {
          this.resyncNeeded = true
          throw e
        }
        continue
      }
      const batch = [...this.queue.entries()].slice(0, BATCH)
      if (batch.length > 0) {
        try {
          await applyWrites(db, batch.map(([, w]) => w))
        } catch (e) {
          if (!isDataError(e)) throw e
          // One bad row must not hold back the others: send them one by one.
          for (const [, write] of batch) {
            await applyWrites(db, [write]).catch(err => {
              if (!isDataError(err)) throw err
              this.stats.dropped++
              this.log.error({ err: (err as Error).message, write }, 'MySQL refused a mirrored row; dropped (the local store keeps it)')
            })
          }
        }
        for (const [key, write] of batch) if (this.queue.get(key) === write) this.queue.delete(key)
        this.stats.written += batch.length
        continue
      }
      const next = this.spooled.values().next().value as Spooled | undefined
      if (next === undefined) return
      await this.sendBackup(db, next)
    }
  }

  private async sendBackup (db: Db, meta: Spooled): Promise<void> {
    const file = this.spoolFile(meta.sessionId)
    const data = await readFile(file).catch(() => undefined)
    if (data === undefined || sha256(data) !== meta.sha256) {
      this.log.error({ session: meta.sessionId, file }, 'spooled backup is missing or damaged; skipped (the next clean stop takes a new one)')
      await this.forgetSpooled(meta)
      return
    }
    try {
      await writeBackup(db, meta.sessionId, { data, sha256: meta.sha256, files: meta.files, loginOnly: meta.loginOnly }, meta.taken)
    } catch (e) {
      if (!isDataError(e)) throw e
      this.log.error({ session: meta.sessionId, err: (e as Error).message }, 'MySQL refused the session backup; skipped')
      await this.forgetSpooled(meta)
      return
    }
    this.stats.backups++
    this.stored.set(meta.sessionId, meta.contentSha256 ?? meta.sha256)
    this.log.info({ session: meta.sessionId, bytes: data.length, files: meta.files, login_only: meta.loginOnly }, 'session backup stored in MySQL')
    await this.forgetSpooled(meta)
  }

  /** Removes the spool file unless a newer backup of the same session replaced it meanwhile. */
  private async forgetSpooled (meta: Spooled): Promise<void> {
    await this.spooling(async () => {
      if (this.spooled.get(meta.sessionId) !== meta) return
      this.spooled.delete(meta.sessionId)
      const file = this.spoolFile(meta.sessionId)
      await rm(file, { force: true })
      await rm(`${file}.json`, { force: true })
    })
  }

  /** Picks up backups spooled by an earlier run. */
  private async findSpooled (): Promise<void> {
    for (const name of await readdir(this.options.spoolDir).catch(() => [] as string[])) {
      if (!name.startsWith(SPOOL_PREFIX) || !name.endsWith(`${SPOOL_SUFFIX}.json`)) continue
      const sessionId = name.slice(SPOOL_PREFIX.length, -`${SPOOL_SUFFIX}.json`.length)
      if (!isSessionId(sessionId)) continue
      try {
        const meta = JSON.parse(await readFile(join(this.options.spoolDir, name), 'utf8')) as Spooled
        if (meta.sessionId === sessionId && typeof meta.sha256 === 'string') this.spooled.set(sessionId, meta)
      } catch {
        this.log.warn({ file: name }, 'unreadable spooled backup description; ignored')
      }
    }
    if (this.spooled.size > 0) this.log.info({ backups: this.spooled.size }, 'session backups from an earlier run wait for MySQL')
  }

  private spoolFile (sessionId: string): string { return join(this.options.spoolDir, `${SPOOL_PREFIX}${sessionId}${SPOOL_SUFFIX}`) }

  private async spooling (work: () => Promise<void>): Promise<void> {
    const next = this.spoolChain.then(work)
    this.spoolChain = next.catch(() => {})
    await next
  }

  /**
   * Goes up on `connection`, and down as soon as it is lost: a MySQL that
   * stops while nothing is written shows in /readyz and tdbroker_mysql_up at
   * once, not at the next write.
   */
  private use (connection: MysqlConnection): void {
    this.connection = connection
    this.stateValue = 'up'
    const lost = (e?: unknown): void => { if (this.connection === connection) this.markDown(e ?? new Error('the MySQL connection ended')) }
    connection.once('error', lost)
    connection.once('end', () => { lost() })
  }

  private markDown (e: unknown): void {
    if (this.stateValue === 'closed') return
    const first = this.stateValue !== 'down'
    this.stateValue = 'down'
    const connection = this.connection
    this.connection = undefined
    connection?.destroy()
    if (first) {
      this.downSince = Date.now()
      this.stats.outages++
      this.log.warn({ err: (e as Error).message, code: (e as { code?: string }).code, queued: this.queue.size }, 'MySQL unreachable: serving from local data, queueing writes until it is back')
    }
    this.retryTimer = setTimeout(() => { void this.reconnect() }, this.retryDelay)
    this.retryTimer.unref()
    this.retryDelay = Math.min(this.retryDelay * 2, this.retryMs[1])
  }

  private async reconnect (): Promise<void> {
    if (this.stateValue !== 'down') return
    let connection: MysqlConnection
    try {
      connection = await connect(this.settings)
      await run(connection, this.settings, this.log, 'SELECT 1')
    } catch (e) {
      if (e instanceof MysqlConfigError) this.log.error({ err: e.message }, 'MySQL answers but refuses the broker; still retrying')
      this.markDown(e)
      return
    }
    if (this.stateValue !== 'down') {
      await endConnection(connection)
      return
    }
    this.use(connection)
    this.retryDelay = this.retryMs[0]
    this.log.info({ down_ms: Date.now() - (this.downSince ?? Date.now()), queued: this.queue.size, backups: this.spooled.size, resync: this.resyncNeeded }, 'MySQL is back: catching up')
    this.kick()
  }
}

/**
 * Session backups in the cluster's object store: the same packs as the
 * MySQL backups (store/pack.ts), sealed the same way when there is a
 * database key (store/seal.ts), so NATS only ever holds sealed data. Taken
 * at login, every backup_interval while the session runs (its login files
 * only: TDLib's SQLite may be half written) and in full at a clean stop;
 * restored by the node that takes a session over.
 */
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import type { TdClient } from '../tdlib/backend.js'
import { MAX_BACKUP_BYTES, packFolder, unpackInto } from '../store/pack.js'
import { sealKeys, sealPack, unseal } from '../store/seal.js'
import type { SessionWatcher } from '../store/session-watch.js'
import type { ObjectStore } from '@nats-io/obj'

export class ClusterBackups implements SessionWatcher {
  /** Set once NATS is connected (the backend is wrapped before that). */
  store: ObjectStore | undefined
  /**
   * Whether this node may still write the session's backup: not once it
   * has lost (or could not renew) the lease, when a newer owner may have
   * written a newer one.
   */
  mayWrite: (sessionId: string) => boolean = () => true
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly inFlight = new Map<string, Promise<void>>()

  constructor (private readonly settings: Settings, private readonly log: Logger) {}

  started (): void {}
  used (): void {}

  authorized (sessionId: string, directory: string, _client: TdClient): void {
    void this.backUp(sessionId, directory, true)
    const interval = this.settings.cluster?.backup_interval ?? 0
    if (interval > 0 && !this.timers.has(sessionId)) {
      this.timers.set(sessionId, setInterval(() => { void this.backUp(sessionId, directory, true) }, interval * 1000).unref())
    }
  }

  async closedCleanly (sessionId: string, directory: string): Promise<void> {
    await this.backUp(sessionId, directory, false)
  }

  async stopped (sessionId: string): Promise<void> {
    clearInterval(this.timers.get(sessionId))
    this.timers.delete(sessionId)
    await this.inFlight.get(sessionId)
  }

  /** Packs, seals and stores the folder; never throws (a failed backup is logged, the session goes on). */
  async backUp (sessionId: string, directory: string, whileRunning: boolean): Promise<void> {
    const store = this.store
    if (store === undefined || !this.mayWrite(sessionId)) return
    const previous = this.inFlight.get(sessionId) ?? Promise.resolve()
    const work = previous.then(async () => {
      if (!this.mayWrite(sessionId)) return
      try {
        const pack = await packFolder(directory, MAX_BACKUP_BYTES, { loginOnly: whileRunning })
        if (pack === undefined) {
          this.log.warn({ session: sessionId }, 'session folder is over the backup limit even without its message database; no cluster backup taken')
          return
        }
        const key = sealKeys(this.settings.tdlib)[0]
        const data = key === undefined ? pack.data : sealPack(pack, key, sessionId).data
        await store.putBlob({ name: sessionId }, data)
        this.log.debug({ session: sessionId, bytes: data.length, files: pack.files, running: whileRunning }, 'cluster backup stored')
      } catch (e) {
        this.log.error({ session: sessionId, err: (e as Error).message }, 'cluster backup failed')
      }
    })
    this.inFlight.set(sessionId, work)
    await work
    if (this.inFlight.get(sessionId) === work) this.inFlight.delete(sessionId)
  }

  /**
   * Replaces the top-level files of `directory` with the session's latest
   * backup. Returns false when there is none (a session that never logged
   * in): the folder is then only made sure to exist.
   */
  async restore (sessionId: string, directory: string): Promise<boolean> {
    await mkdir(directory, { recursive: true })
    const store = this.store
    if (store === undefined) return false
    const data = await store.getBlob(sessionId)
    if (data === null) return false
    const pack = unseal(Buffer.from(data), sealKeys(this.settings.tdlib), sessionId)
    // TDLib's databases from an older run here would mix with the backup's: they go first.
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      if (entry.isFile()) await rm(join(directory, entry.name), { force: true })
    }
    const files = await unpackInto(pack, directory)
    this.log.info({ session: sessionId, files }, 'session restored from its cluster backup')
    return true
  }

  close (): void {
    for (const timer of this.timers.values()) clearInterval(timer)
    this.timers.clear()
  }
}

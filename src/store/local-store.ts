/**
 * The local store: sessions, users and usernames in one JSON file next to
 * the session folders (`<tdlib.path>/.tdbroker-store.json`), under the same
 * lock. It is the broker's own truth; MySQL only mirrors it, so the broker
 * never needs MySQL to serve.
 *
 * Writes are gathered for a moment and then written atomically (a temporary
 * file renamed over the old one), so a crash leaves either the old or the new
 * file, never half of one; close() writes at once. Users and usernames are
 * bounded (the oldest are forgotten first); sessions are as many as folders.
 */
import { readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './atomic-file.js'
import type { Logger } from '../log/logger.js'
import type { MirrorWrite, SessionRecord, UsernameRecord, UserRecord } from './records.js'

export const STORE_FILE = '.tdbroker-store.json'

/** Most users and most usernames kept, each. */
export const MAX_ENTRIES = 50_000

/** How long changes are gathered before the file is written, ms. */
const SAVE_DELAY_MS = 1000

interface StoreFile {
  format: 1
  sessions: SessionRecord[]
  users: UserRecord[]
  usernames: UsernameRecord[]
}

export class LocalStore {
  readonly file: string
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly users = new Map<number, UserRecord>()
  private readonly byPhone = new Map<string, number>()
  private readonly usernames = new Map<string, UsernameRecord>()
  private saveTimer: NodeJS.Timeout | undefined
  private saving: Promise<void> = Promise.resolve()
  private dirty = false
  /** Receives every change made through this store (the MySQL mirror listens). */
  onChange: ((write: MirrorWrite) => void) | undefined

  constructor (directory: string, private readonly log: Logger, private readonly maxEntries = MAX_ENTRIES) {
    this.file = join(directory, STORE_FILE)
  }

  /** Reads the file. A damaged file is set aside (renamed) and the store starts empty. */
  async open (): Promise<void> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw e
    }
    let data: StoreFile
    try {
      data = JSON.parse(text) as StoreFile
      if (data.format !== 1 || !Array.isArray(data.sessions) || !Array.isArray(data.users) || !Array.isArray(data.usernames)) throw new Error('unknown format')
    } catch (e) {
      const aside = `${this.file}.damaged-${Date.now()}`
      await rename(this.file, aside)
      this.log.error({ file: this.file, aside, err: (e as Error).message }, 'local store file is damaged; set aside, starting with an empty store')
      return
    }
    for (const s of data.sessions) this.sessions.set(s.session_id, s)
    for (const u of data.users) this.setUser(u)
    for (const n of data.usernames) this.setUsername(n)
  }

  session (id: string): SessionRecord | undefined { return this.sessions.get(id) }
  listSessions (): SessionRecord[] { return [...this.sessions.values()] }
  user (id: number): UserRecord | undefined { return this.users.get(id) }
  /** The user most recently seen with this phone number (digits only). */
  userByPhone (phone: string): UserRecord | undefined {
    const id = this.byPhone.get(phone)
    return id === undefined ? undefined : this.users.get(id)
  }

  username (name: string): UsernameRecord | undefined { return this.usernames.get(name.toLowerCase()) }
  listUsers (): UserRecord[] { return [...this.users.values()] }
  listUsernames (): UsernameRecord[] { return [...this.usernames.values()] }

  /** Creates or updates a session record; the earliest `created` and the latest `last_active` win. */
  putSession (record: SessionRecord): SessionRecord {
    const old = this.sessions.get(record.session_id)
    const row: SessionRecord = { ...old, ...record, created: Math.min(old?.created ?? Infinity, record.created), last_active: Math.max(old?.last_active ?? 0, record.last_active) }
    this.sessions.set(row.session_id, row)
    this.changed({ table: 'sessions', row })
    return row
  }

  putUser (record: UserRecord): void {
    const old = this.users.get(record.user_id)
    const row: UserRecord = { ...record, ...(record.phone === undefined && old?.phone !== undefined ? { phone: old.phone } : {}) }
    this.setUser(row)
    this.changed({ table: 'users', row })
  }

  putUsername (record: UsernameRecord): void {
    const row = { ...record, username: record.username.toLowerCase() }
    this.setUsername(row)
    this.changed({ table: 'usernames', row })
  }

  /**
   * Takes rows from elsewhere (MySQL at start) where they are newer than
   * what is here, without reporting them as changes.
   */
  merge (rows: { users?: UserRecord[], usernames?: UsernameRecord[] }): number {
    let taken = 0
    for (const u of rows.users ?? []) {
      const old = this.users.get(u.user_id)
      if (old === undefined || old.updated < u.updated) { this.setUser(u); taken++ }
    }
    for (const n of rows.usernames ?? []) {
      const old = this.usernames.get(n.username)
      if (old === undefined || old.resolved < n.resolved) { this.setUsername(n); taken++ }
    }
    if (taken > 0) this.scheduleSave()
    return taken
  }

  /** Writes pending changes now. */
  async flush (): Promise<void> {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    this.saving = this.saving.catch(() => {}).then(async () => { await this.save() })
    await this.saving
  }

  async close (): Promise<void> { await this.flush() }

  private setUser (row: UserRecord): void {
    const old = this.users.get(row.user_id)
    if (old?.phone !== undefined && this.byPhone.get(old.phone) === row.user_id) this.byPhone.delete(old.phone)
    this.users.delete(row.user_id)
    this.users.set(row.user_id, row)
    if (row.phone !== undefined) {
      const holder = this.users.get(this.byPhone.get(row.phone) ?? 0)
      if (holder === undefined || holder.updated <= row.updated) this.byPhone.set(row.phone, row.user_id)
    }
    while (this.users.size > this.maxEntries) {
      const oldest = this.users.values().next().value as UserRecord
      this.users.delete(oldest.user_id)
      if (oldest.phone !== undefined && this.byPhone.get(oldest.phone) === oldest.user_id) this.byPhone.delete(oldest.phone)
    }
  }

  private setUsername (row: UsernameRecord): void {
    this.usernames.delete(row.username)
    this.usernames.set(row.username, row)
    while (this.usernames.size > this.maxEntries) this.usernames.delete(this.usernames.keys().next().value as string)
  }

  private changed (write: MirrorWrite): void {
    this.scheduleSave()
    this.onChange?.(write)
  }

  private scheduleSave (): void {
    this.dirty = true
    if (this.saveTimer !== undefined) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      this.saving = this.saving.catch(() => {}).then(async () => { await this.save() }).catch(e => {
        this.log.error({ file: this.file, err: (e as Error).message }, 'cannot write the local store; will retry with the next change')
      })
    }, SAVE_DELAY_MS)
    this.saveTimer.unref()
  }

  private async save (): Promise<void> {
    if (!this.dirty) return
    this.dirty = false
    const data: StoreFile = { format: 1, sessions: this.listSessions(), users: this.listUsers(), usernames: this.listUsernames() }
    try {
      await writeFileAtomic(this.file, JSON.stringify(data) + '\n')
    } catch (e) {
      this.dirty = true
      throw e
    }
  }
}

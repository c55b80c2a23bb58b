/**
 * The statements of the mirror. Every write is an idempotent upsert that
 * keeps the newer of two versions (by its time column), so a write retried
 * after an outage, or a full resync from an older host, never moves a row
 * backwards.
 */
import type { Logger } from '../log/logger.js'
import type { MysqlSettings } from '../settings/types.js'
import { run, type MysqlConnection } from './mysql-connect.js'
import type { Pack } from './pack.js'
import type { MirrorWrite, SessionRecord, UsernameRecord, UserRecord } from './records.js'

/** Bytes per backup chunk row. */
export const CHUNK_BYTES = 512 * 1024

/** Rows per multi-row statement. */
const ROWS_PER_STATEMENT = 500

export interface Db {
  connection: MysqlConnection
  settings: MysqlSettings
  log: Logger
}

const q = async (db: Db, sql: string, values?: unknown): Promise<unknown> => await run(db.connection, db.settings, db.log, sql, values)
const bit = (v: boolean | undefined): number | null => v === undefined ? null : v ? 1 : 0
const date = (ms: number): Date => new Date(ms)

const UPSERT = {
  sessions: `INSERT INTO sessions (session_id, user_id, phone, is_bot, created, last_active) VALUES ?
    ON DUPLICATE KEY UPDATE user_id = COALESCE(VALUES(user_id), user_id), phone = COALESCE(VALUES(phone), phone),
    is_bot = COALESCE(VALUES(is_bot), is_bot), created = LEAST(created, VALUES(created)),
    last_active = GREATEST(last_active, VALUES(last_active))`,
  users: `INSERT INTO users (user_id, phone, is_bot, updated) VALUES ?
    ON DUPLICATE KEY UPDATE phone = IF(VALUES(updated) >= updated, COALESCE(VALUES(phone), phone), phone),
    is_bot = IF(VALUES(updated) >= updated, VALUES(is_bot), is_bot), updated = GREATEST(updated, VALUES(updated))`,
  usernames: `INSERT INTO usernames (username, chat_id, user_id, is_bot, resolved) VALUES ?
    ON DUPLICATE KEY UPDATE chat_id = IF(VALUES(resolved) >= resolved, VALUES(chat_id), chat_id),
    user_id = IF(VALUES(resolved) >= resolved, VALUES(user_id), user_id),
    is_bot = IF(VALUES(resolved) >= resolved, VALUES(is_bot), is_bot), resolved = GREATEST(resolved, VALUES(resolved))`,
} as const

function values (write: MirrorWrite): unknown[] {
  switch (write.table) {
    case 'sessions': {
      const r = write.row
      return [r.session_id, r.user_id ?? null, r.phone ?? null, bit(r.is_bot), date(r.created), date(r.last_active)]
    }
    case 'users': {
      const r = write.row
      return [r.user_id, r.phone ?? null, bit(r.is_bot), date(r.updated)]
    }
    case 'usernames': {
      const r = write.row
      return [r.username, r.chat_id, r.user_id ?? null, bit(r.is_bot), date(r.resolved)]
    }
  }
}

/** Applies writes, a few multi-row statements per table. */
export async function applyWrites (db: Db, writes: readonly MirrorWrite[]): Promise<void> {
  for (const table of ['sessions', 'users', 'usernames'] as const) {
    const rows = writes.filter(w => w.table === table).map(values)
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await q(db, UPSERT[table], [rows.slice(i, i + ROWS_PER_STATEMENT)])
  }
}

const num = (v: unknown): number => Number(v)
const ms = (v: unknown): number => v instanceof Date ? v.getTime() : Number(v)
const optBool = (v: unknown): boolean | undefined => v === null || v === undefined ? undefined : Number(v) === 1

/** Users and usernames learned since `sinceMs`, newest first, at most `limit` of each. */
export async function readCache (db: Db, sinceMs: number, limit: number): Promise<{ users: UserRecord[], usernames: UsernameRecord[] }> {
  const users = await q(db, 'SELECT user_id, phone, is_bot, updated FROM users WHERE updated >= ? ORDER BY updated DESC LIMIT ?', [date(sinceMs), limit]) as Array<Record<string, unknown>>
  const names = await q(db, 'SELECT username, chat_id, user_id, is_bot, resolved FROM usernames WHERE resolved >= ? ORDER BY resolved DESC LIMIT ?', [date(sinceMs), limit]) as Array<Record<string, unknown>>
  return {
    users: users.reverse().map(r => ({
      user_id: num(r.user_id), is_bot: Number(r.is_bot) === 1, updated: ms(r.updated),
      ...(r.phone === null ? {} : { phone: String(r.phone) }),
    })),
    usernames: names.reverse().map(r => {
      const isBot = optBool(r.is_bot)
      return {
        username: String(r.username), chat_id: num(r.chat_id), resolved: ms(r.resolved),
        ...(r.user_id === null ? {} : { user_id: num(r.user_id) }),
        ...(isBot === undefined ? {} : { is_bot: isBot }),
      }
    }),
  }
}

/** The session's row, if there is one. */
export async function readSession (db: Db, sessionId: string): Promise<SessionRecord | undefined> {
  const rows = await q(db, 'SELECT session_id, user_id, phone, is_bot, created, last_active FROM sessions WHERE session_id = ?', [sessionId]) as Array<Record<string, unknown>>
  const r = rows[0]
  if (r === undefined) return undefined
  const isBot = optBool(r.is_bot)
  return {
    session_id: String(r.session_id), created: ms(r.created), last_active: ms(r.last_active),
    ...(r.user_id === null ? {} : { user_id: num(r.user_id) }),
    ...(r.phone === null ? {} : { phone: String(r.phone) }),
    ...(isBot === undefined ? {} : { is_bot: isBot }),
  }
}

/** Replaces the session's backup in one transaction: readers see the old one or the new one. */
export async function writeBackup (db: Db, sessionId: string, pack: Pack, takenMs: number): Promise<void> {
  const chunks = Math.ceil(pack.data.length / CHUNK_BYTES)
  await q(db, 'START TRANSACTION')
  try {
    await q(db, 'DELETE FROM session_backup_chunks WHERE session_id = ?', [sessionId])
    for (let i = 0; i < chunks; i++) {
      await q(db, 'INSERT INTO session_backup_chunks (session_id, seq, data) VALUES (?, ?, ?)', [sessionId, i, pack.data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)])
    }
    await q(db, `REPLACE INTO session_backups (session_id, taken, size, sha256, chunks, files, login_only) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [sessionId, date(takenMs), pack.data.length, pack.sha256, chunks, pack.files.join(','), pack.loginOnly ? 1 : 0])
    await q(db, 'COMMIT')
  } catch (e) {
    await q(db, 'ROLLBACK').catch(() => {})
    throw e
  }
}

export interface StoredBackup {
  taken: number
  size: number
  sha256: string
  files: string[]
  loginOnly: boolean
  data: Buffer
}

/** The session's backup, or undefined when there is none. Reads in one transaction. */
export async function readBackup (db: Db, sessionId: string): Promise<StoredBackup | undefined> {
  await q(db, 'START TRANSACTION WITH CONSISTENT SNAPSHOT')
  try {
    const heads = await q(db, 'SELECT taken, size, sha256, chunks, files, login_only FROM session_backups WHERE session_id = ?', [sessionId]) as Array<Record<string, unknown>>
    const head = heads[0]
    if (head === undefined) return undefined
    const rows = await q(db, 'SELECT seq, data FROM session_backup_chunks WHERE session_id = ? ORDER BY seq', [sessionId]) as Array<{ seq: unknown, data: Buffer }>
    const chunks = num(head.chunks)
    if (rows.length !== chunks || rows.some((r, i) => num(r.seq) !== i)) {
      throw new Error(`the backup of session ${sessionId} is incomplete: ${rows.length} of ${chunks} pieces`)
    }
    return {
      taken: ms(head.taken), size: num(head.size), sha256: String(head.sha256), loginOnly: Number(head.login_only) === 1,
      files: String(head.files).split(',').filter(f => f !== ''), data: Buffer.concat(rows.map(r => r.data)),
    }
  } finally {
    await q(db, 'COMMIT').catch(() => {})
  }
}

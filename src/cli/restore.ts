/**
 * `tdbroker restore SESSION_ID [--settings FILE] [--force]`: brings a session
 * back from its MySQL backup into tdlib.path, for example on a new host.
 * The broker must not be running on this storage (the folder lock says so),
 * and the session must not run anywhere else: Telegram revokes a key used
 * from two places at once (AUTH_KEY_DUPLICATED).
 */
import { rename, readdir, rm, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pino } from 'pino'
import { acquireLock } from '../session/lock.js'
import { isSessionId } from '../session/session-id.js'
import type { Settings } from '../settings/types.js'
import { LocalStore } from '../store/local-store.js'
import { connect, endConnection } from '../store/mysql-connect.js'
import { readBackup, readSession } from '../store/mysql-rows.js'
import { checkSchema } from '../store/mysql-schema.js'
import { sha256, unpackInto } from '../store/pack.js'
import { sealKeys, unseal } from '../store/seal.js'
import { readMeta, writeMeta } from '../session/meta.js'
import { parseArgs, UsageError } from './args.js'
import { settingsForStart } from './start.js'

export const AUTH_KEY_WARNING = 'Run this session on one host only: if the old host starts it too, Telegram revokes the session ' +
  '(AUTH_KEY_DUPLICATED) and the account has to log in again. Stop the broker there, or delete the session folder there, first.'

export async function runRestore (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let settings: Settings
  let sessionId: string
  let force: boolean
  try {
    const parsed = parseArgs(args, { settings: true, force: false })
    if (parsed.positional.length !== 1) throw new UsageError('usage: tdbroker restore SESSION_ID [--settings FILE] [--force]')
    sessionId = parsed.positional[0]!
    if (!isSessionId(sessionId)) throw new UsageError(`"${sessionId}" is not a session id (a string of decimal digits, as broker.listSessions shows it)`)
    force = parsed.options.get('force') === true
    settings = settingsForStart(parsed.options, process.cwd())
  } catch (e) {
    err(`tdbroker restore: ${e instanceof Error ? e.message : String(e)}`)
    return e instanceof UsageError ? 64 : 1
  }
  try {
    const restored = await restoreSession(settings, sessionId, { force })
    out(`restored session ${sessionId} into ${restored.directory}: ${restored.files.join(', ')} (backup taken ${new Date(restored.taken).toISOString()}${restored.loginOnly ? ', login only: TDLib rebuilds its chat cache' : ''})`)
    out(`warning: ${AUTH_KEY_WARNING}`)
    return 0
  } catch (e) {
    err(`tdbroker restore: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  }
}

export interface Restored {
  directory: string
  files: string[]
  taken: number
  loginOnly: boolean
}

/** How far past the backup's reservation (or now, in ms) a restored session's sequence numbers start. */
export const RESTORE_SEQ_MARGIN = 1_000_000

/** Restores one session from MySQL into tdlib.path; throws with a message for the operator. */
export async function restoreSession (settings: Settings, sessionId: string, opts: { force?: boolean } = {}): Promise<Restored> {
  const mysqlSettings = settings.mysql
  if (mysqlSettings === undefined) throw new Error(`the settings (${settings.file ?? 'embedded defaults'}) have no mysql section: there is nothing to restore from`)
  const root = settings.tdlib.path
  await mkdir(root, { recursive: true })
  const lock = await acquireLock(root)
  const log = pino({ level: mysqlSettings.debug ? 'info' : 'silent' }, pino.destination(2))
  const connection = await connect(mysqlSettings).catch(async e => { await lock.release(); throw e })
  try {
    const db = { connection, settings: mysqlSettings, log }
    await checkSchema(connection, mysqlSettings, log)
    const target = join(root, sessionId)
    const existing = await readdir(target).catch(() => undefined)
    if (existing !== undefined && existing.length > 0 && opts.force !== true) {
      throw new Error(`${target} already exists and is not empty; restoring would replace it (move it away, or pass --force to delete it)`)
    }
    const backup = await readBackup(db, sessionId)
    if (backup === undefined) throw new Error(`MySQL database ${mysqlSettings.database} holds no backup of session ${sessionId} (a backup is taken when a session logs in, every mysql.backup_interval while it runs, and when it stops cleanly)`)
    if (backup.data.length !== backup.size || sha256(backup.data) !== backup.sha256) {
      throw new Error(`the backup of session ${sessionId} is damaged (size or SHA-256 does not match); nothing was written`)
    }
    // Sealed backups open with the current or the previous database key; a wrong key stops here, before anything is written.
    const pack = unseal(backup.data, sealKeys(settings.tdlib), sessionId)
    const temp = join(root, `.restore-${sessionId}-${process.pid}`)
    await rm(temp, { recursive: true, force: true })
    const files = await unpackInto(pack, temp)
    // The backup's sequence reservation may be older than numbers the session
    // handed out after it was taken: start the restored one well past both.
    const { meta } = await readMeta(temp)
    await writeMeta(temp, { ...meta, seq_reserved: Math.max(meta.seq_reserved, Date.now()) + RESTORE_SEQ_MARGIN })
    if (existing !== undefined) await rm(target, { recursive: true, force: true })
    await rename(temp, target)
    const record = await readSession(db, sessionId)
    if (record !== undefined) {
      const local = new LocalStore(root, log)
      await local.open()
      local.putSession(record)
      await local.close()
    }
    return { directory: target, files, taken: backup.taken, loginOnly: backup.loginOnly }
  } finally {
    await endConnection(connection)
    await lock.release()
  }
}

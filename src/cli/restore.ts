/**
 * `tdbroker restore SESSION_ID [--file BACKUP.tar] [--settings FILE] [--force]`:
 * brings a session back into tdlib.path from its MySQL backup or from a tar
 * archive, for example on a new host.
 * The broker must not be running on this storage (the folder lock says so),
 * and the session must not run anywhere else: Telegram revokes a key used
 * from two places at once (AUTH_KEY_DUPLICATED).
 */
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pino } from 'pino'
import { acquireLock } from '../session/lock.js'
import { isSessionId } from '../session/session-id.js'
import type { Settings } from '../settings/types.js'
import { LocalStore } from '../store/local-store.js'
import { connect, endConnection } from '../store/mysql-connect.js'
import { readBackup, readSession } from '../store/mysql-rows.js'
import { checkSchema } from '../store/mysql-schema.js'
import { readPack, sha256, unpackInto } from '../store/pack.js'
import { isSealed, sealKeys, unseal } from '../store/seal.js'
import { readMeta, writeMeta } from '../session/meta.js'
import { runCommand, SETTINGS_OPTION, stringOption, UsageError, type CommandSpec } from './args.js'
import { settingsForStart } from './start.js'

export const AUTH_KEY_WARNING = 'Run this session on one host only: if the old host starts it too, Telegram revokes the session ' +
  '(AUTH_KEY_DUPLICATED) and the account has to log in again. Stop the broker there, or delete the session folder there, first.'

export const RESTORE: CommandSpec = {
  usage: `usage: tdbroker restore SESSION_ID [--file BACKUP.tar] [--settings FILE] [--force]
  bring a session back into tdlib.path: from its latest MySQL backup, or with --file
  from a tar archive (tdbroker backup writes one; tar tf lists it). The broker must
  not run on this storage, and the session must not run on any other host.
  --force   replace the session's folder if it exists and is not empty`,
  options: { ...SETTINGS_OPTION, file: { type: 'string' }, force: { type: 'boolean' } },
  positionals: [1, 1]
}

export async function runRestore (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return await runCommand('restore', RESTORE, args, out, err, async ({ values, positionals }) => {
    const sessionId = sessionIdArgument(positionals[0]!)
    const settings = settingsForStart(values, process.cwd())
    const file = stringOption(values, 'file')
    const restored = await restoreSession(settings, sessionId, { force: values.force === true, ...(file === undefined ? {} : { file: resolve(file) }) })
    const when = restored.taken === undefined ? '' : ` (backup taken ${new Date(restored.taken).toISOString()}${restored.loginOnly === true ? ', login only: TDLib rebuilds its chat cache' : ''})`
    out(`restored session ${sessionId} into ${restored.directory}: ${restored.files.join(', ')}${when}`)
    out(`warning: ${AUTH_KEY_WARNING}`)
    return 0
  })
}

/** A SESSION_ID argument, checked. */
export function sessionIdArgument (value: string): string {
  if (!isSessionId(value)) throw new UsageError(`"${value}" is not a session id (a string of decimal digits, as broker.listSessions shows it)`)
  return value
}

export interface Restored {
  directory: string
  files: string[]
  /** When the backup was taken (MySQL backups). */
  taken?: number
  loginOnly?: boolean
}

/** How far past the backup's reservation (or now, in ms) a restored session's sequence numbers start. */
export const RESTORE_SEQ_MARGIN = 1_000_000

/**
 * Restores one session into tdlib.path, from MySQL or (opts.file) from a tar
 * archive; throws with a message for the operator. Nothing is written unless
 * the whole backup is sound.
 */
export async function restoreSession (settings: Settings, sessionId: string, opts: { force?: boolean, file?: string } = {}): Promise<Restored> {
  const root = settings.tdlib.path
  if (opts.file !== undefined) {
    const data = await readFile(opts.file).catch((e: Error) => { throw new Error(`cannot read ${opts.file!}: ${e.message}`) })
    // A sealed backup copied out of MySQL opens with the settings' keys; a tar archive is taken as it is.
    const pack = isSealed(data) ? unseal(data, sealKeys(settings.tdlib), sessionId) : data
    readPack(pack) // damaged or hostile: refused before the lock is even taken
    await mkdir(root, { recursive: true })
    const lock = await acquireLock(root)
    try {
      const existing = await checkTarget(root, sessionId, opts.force === true)
      return { directory: join(root, sessionId), files: await install(root, sessionId, pack, existing) }
    } finally {
      await lock.release()
    }
  }
  return await withBackupDb(settings, 'there is nothing to restore from (restore a tar archive with --file)', async (db, log) => {
    await mkdir(root, { recursive: true })
    const lock = await acquireLock(root)
    try {
      const existing = await checkTarget(root, sessionId, opts.force === true)
      const pack = await latestBackup(db, settings, sessionId)
      const files = await install(root, sessionId, pack.data, existing)
      const record = await readSession(db, sessionId)
      if (record !== undefined) {
        const local = new LocalStore(root, log)
        await local.open()
        local.putSession(record)
        await local.close()
      }
      return { directory: join(root, sessionId), files, taken: pack.taken, loginOnly: pack.loginOnly }
    } finally {
      await lock.release()
    }
  })
}

type BackupDb = Parameters<typeof readBackup>[0]

/**
 * Runs `fn` on a connection to the settings' MySQL database, its schema
 * checked, and ends the connection; `missing` says what it means that the
 * settings have no mysql section.
 */
export async function withBackupDb<T> (settings: Settings, missing: string, fn: (db: BackupDb, log: BackupDb['log']) => Promise<T>): Promise<T> {
  const mysqlSettings = settings.mysql
  if (mysqlSettings === undefined) throw new Error(`the settings (${settings.file ?? 'embedded defaults'}) have no mysql section: ${missing}`)
  const log = pino({ level: mysqlSettings.debug ? 'info' : 'silent' }, pino.destination(2))
  const connection = await connect(mysqlSettings)
  try {
    await checkSchema(connection, mysqlSettings, log)
    return await fn({ connection, settings: mysqlSettings, log }, log)
  } finally {
    await endConnection(connection)
  }
}

/** The session's latest MySQL backup, checked and unsealed: a pack (pack.ts). */
export async function latestBackup (db: BackupDb, settings: Settings, sessionId: string): Promise<{ data: Buffer, taken: number, loginOnly: boolean }> {
  const backup = await readBackup(db, sessionId)
  if (backup === undefined) throw new Error(`MySQL database ${db.settings.database} holds no backup of session ${sessionId} (a backup is taken when a session logs in, every mysql.backup_interval while it runs, and when it stops cleanly)`)
  if (backup.data.length !== backup.size || sha256(backup.data) !== backup.sha256) {
    throw new Error(`the backup of session ${sessionId} is damaged (size or SHA-256 does not match); nothing was written`)
  }
  // Sealed backups open with the current or the previous database key; a wrong key stops here, before anything is written.
  return { data: unseal(backup.data, sealKeys(settings.tdlib), sessionId), taken: backup.taken, loginOnly: backup.loginOnly }
}

async function checkTarget (root: string, sessionId: string, force: boolean): Promise<string[] | undefined> {
  const target = join(root, sessionId)
  const existing = await readdir(target).catch(() => undefined)
  if (existing !== undefined && existing.length > 0 && !force) {
    throw new Error(`${target} already exists and is not empty; restoring would replace it (move it away, or pass --force to delete it)`)
  }
  return existing
}

/** Unpacks `pack` beside the session's folder, then puts it in the place of the folder (`existing`: what checkTarget found there). */
async function install (root: string, sessionId: string, pack: Buffer, existing: string[] | undefined): Promise<string[]> {
  const target = join(root, sessionId)
  const temp = join(root, `.restore-${sessionId}-${process.pid}`)
  await rm(temp, { recursive: true, force: true })
  const files = await unpackInto(pack, temp)
  // The backup's sequence reservation may be older than numbers the session
  // handed out after it was taken: start the restored one well past both.
  const { meta } = await readMeta(temp)
  await writeMeta(temp, { ...meta, seq_reserved: Math.max(meta.seq_reserved, Date.now()) + RESTORE_SEQ_MARGIN })
  if (existing !== undefined) await rm(target, { recursive: true, force: true })
  await rename(temp, target)
  return files
}

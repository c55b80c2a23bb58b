/**
 * `tdbroker backup SESSION_ID --output FILE [--from local|mysql]`: writes a
 * session's backup as a tar archive that standard tools open (`tar tf`
 * lists it) and `tdbroker restore --file` brings back.
 *
 * From the local folder (the default) the broker must be stopped: TDLib's
 * database is only consistent when no TDLib has it open, and the folder lock
 * says so. From MySQL it is the latest backup the broker took (at login,
 * every mysql.backup_interval, at a clean stop), unsealed with the settings'
 * database key: the archive holds the account's login, so it is written with
 * mode 0600 and never over an existing file unless --force.
 */
import { open, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { acquireLock } from '../session/lock.js'
import { MAX_BACKUP_BYTES, packFolder, readPack } from '../store/pack.js'
import { isTar, writeTar } from '../store/tar.js'
import type { Settings } from '../settings/types.js'
import { runCommand, SETTINGS_OPTION, stringOption, UsageError, type CommandSpec } from './args.js'
import { latestBackup, sessionIdArgument, withBackupDb } from './restore.js'
import { settingsForStart } from './start.js'

export const BACKUP: CommandSpec = {
  usage: `usage: tdbroker backup SESSION_ID --output FILE [--from local|mysql] [--settings FILE] [--force]
  write the session's backup as a tar archive (tar tf FILE lists it; tdbroker restore
  SESSION_ID --file FILE brings it back)
  --from local   (default) the session's folder in tdlib.path; the broker must be stopped
  --from mysql   the latest backup in MySQL (the broker may be running), unsealed with
                 tdlib.database_encryption_key
  --force        replace FILE if it exists
  The archive holds the account's login: it is written with mode 0600; keep it secret.`,
  options: { ...SETTINGS_OPTION, output: { type: 'string', short: 'o' }, from: { type: 'string' }, force: { type: 'boolean' } },
  positionals: [1, 1]
}

export async function runBackup (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return await runCommand('backup', BACKUP, args, out, err, async ({ values, positionals }) => {
    const sessionId = sessionIdArgument(positionals[0]!)
    const output = stringOption(values, 'output')
    if (output === undefined) throw new UsageError('--output FILE is required (where to write the archive)')
    const from = stringOption(values, 'from') ?? 'local'
    if (from !== 'local' && from !== 'mysql') throw new UsageError(`--from must be local or mysql, not "${from}"`)
    const settings = settingsForStart(values, process.cwd())
    const archive = from === 'local' ? await fromFolder(settings, sessionId) : await fromMysql(settings, sessionId)
    const file = resolve(output)
    // O_EXCL unless --force: an earlier backup is never overwritten by accident.
    const handle = await open(file, values.force === true ? 'w' : 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code === 'EEXIST' ? `${file} exists (pass --force to replace it)` : `cannot write ${file}: ${e.message}`)
    })
    try {
      await handle.chmod(0o600)
      await handle.writeFile(archive.data)
    } finally {
      await handle.close()
    }
    out(`wrote ${file} (${archive.data.length} bytes): ${archive.files.join(', ')}${archive.note}`)
    out('it holds the account\'s login: keep it secret (mode 0600)')
    return 0
  })
}

interface Archive { data: Buffer, files: string[], note: string }

async function fromFolder (settings: Settings, sessionId: string): Promise<Archive> {
  const root = settings.tdlib.path
  const directory = join(root, sessionId)
  if (!(await stat(directory).then(s => s.isDirectory(), () => false))) throw new Error(`there is no session ${sessionId} in ${root}`)
  const lock = await acquireLock(root).catch((e: Error) => {
    throw new Error(`${e.message}. Stop the broker first, or take its latest backup with --from mysql`)
  })
  try {
    const pack = await packFolder(directory, MAX_BACKUP_BYTES).catch((e: Error) => { throw new Error(`cannot read ${directory}: ${e.message}`) })
    if (pack === undefined) throw new Error(`the login files of session ${sessionId} alone are over ${MAX_BACKUP_BYTES} bytes`)
    return { data: pack.data, files: pack.files, note: pack.loginOnly ? ' (login only: the folder is over the size limit; TDLib rebuilds its chat cache)' : '' }
  } finally {
    await lock.release()
  }
}

async function fromMysql (settings: Settings, sessionId: string): Promise<Archive> {
  return await withBackupDb(settings, 'there is no MySQL backup to write', async db => {
    const backup = await latestBackup(db, settings, sessionId)
    // Backups taken before they were tar archives are rewritten as one.
    const files = readPack(backup.data)
    const data = isTar(backup.data) ? backup.data : writeTar(files.map(f => ({ ...f, mtime: backup.taken })))
    return { data, files: files.map(f => f.name), note: ` (backup taken ${new Date(backup.taken).toISOString()}${backup.loginOnly ? ', login only' : ''})` }
  })
}

/**
 * Packing a session folder into one buffer for the MySQL backup, and back.
 *
 * Only TDLib's databases are packed: the regular files at the top of the
 * folder (td.binlog holds the login, db.sqlite the chat and message cache,
 * plus the sandbox's login marker). Sub-folders are TDLib's file caches
 * (photos, documents, temp, ...), which it downloads again; they are skipped.
 * When everything together is over the size limit, only the login is kept
 * (td.binlog and the sandbox marker): TDLib rebuilds the rest.
 *
 * Format: a POSIX ustar archive (tar.ts), so that `tar tf` lists a backup
 * and `tar xf` opens it. Backups written before were the broker's own format
 * (the 8 bytes "TDBPACK1", then per file u16 name length, the UTF-8 name,
 * u32 mode, u64 size and the bytes, all big-endian; a name length of 0 ends
 * it): they are still read. Unpacking refuses any name that is not a plain
 * file name, so a crafted backup cannot write outside the target folder.
 */
import { createHash } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isTar, MAX_TAR_NAME_BYTES, readTar, TarError, tarSize, writeTar, type TarEntry } from './tar.js'

const MAGIC = Buffer.from('TDBPACK1', 'latin1')

/**
 * Files that carry the login (and the broker's meta file: creator, sequence,
 * database key id); kept even when the whole folder is too big, and all a
 * backup of a running session holds.
 */
export const LOGIN_FILES: ReadonlySet<string> = new Set(['td.binlog', 'td_test.binlog', 'sandbox-session.json', '.tdbroker-session.json'])

/** Largest packed backup, bytes (64 MiB). */
export const MAX_BACKUP_BYTES = 64 * 1024 * 1024

export interface Pack {
  data: Buffer
  /** Hex SHA-256 of `data`. */
  sha256: string
  /** Hex SHA-256 of the unsealed pack when `data` is sealed (seal.ts): what "unchanged since the last backup" compares. */
  contentSha256?: string
  files: string[]
  /** True when only the login files were kept because the folder was over the limit. */
  loginOnly: boolean
}

export class PackError extends Error { override name = 'PackError' }

/** A plain file name: no separators, not "." or "..", no NUL, and not a temporary file. */
function isPlainName (name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && !name.endsWith('.tmp') && Buffer.byteLength(name) < 0xffff
}

/** A file that goes into a backup: a plain name that a ustar header holds. */
function isPackable (name: string): boolean {
  return isPlainName(name) && Buffer.byteLength(name) <= MAX_TAR_NAME_BYTES
}

/**
 * Packs the top-level files of `directory`. Returns undefined when even the
 * login files are over `limit` (the caller logs it and skips the backup).
 * With `loginOnly` (a running session, whose SQLite database may be half
 * written) only the login files are packed. A file that vanishes while the
 * folder is read (TDLib's temporary files) is skipped.
 */
export async function packFolder (directory: string, limit = MAX_BACKUP_BYTES, opts: { loginOnly?: boolean } = {}): Promise<Pack | undefined> {
  const entries: TarEntry[] = []
  for (const name of (await readdir(directory)).sort()) {
    if (!isPackable(name) || (opts.loginOnly === true && !LOGIN_FILES.has(name))) continue
    try {
      const info = await lstat(join(directory, name))
      if (!info.isFile()) continue
      entries.push({ name, mode: info.mode & 0o777, mtime: info.mtimeMs, data: await readFile(join(directory, name)) })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
  }
  let chosen = entries
  let loginOnly = opts.loginOnly === true
  if (tarSize(chosen) > limit) {
    chosen = entries.filter(e => LOGIN_FILES.has(e.name))
    loginOnly = true
    if (tarSize(chosen) > limit) return undefined
  }
  const data = writeTar(chosen)
  return { data, sha256: sha256(data), files: chosen.map(e => e.name), loginOnly }
}

export function sha256 (data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

export interface PackedFile { name: string, mode: number, data: Buffer }

/** Reads a pack (a tar archive, or the older TDBPACK1 format); throws PackError when it is damaged or names a path outside the folder. */
export function readPack (data: Buffer): PackedFile[] {
  let files: PackedFile[]
  if (isTar(data)) {
    try {
      files = readTar(data, isPlainName)
    } catch (e) {
      if (e instanceof TarError) throw new PackError(e.message.replace(/the archive/g, 'the backup'))
      throw e
    }
  } else {
    files = readLegacyPack(data)
  }
  const seen = new Set<string>()
  for (const { name } of files) {
    if (seen.has(name)) throw new PackError(`the backup holds ${JSON.stringify(name)} twice`)
    seen.add(name)
  }
  return files
}

/** The format backups had before they were tar archives. */
function readLegacyPack (data: Buffer): PackedFile[] {
  if (data.length < MAGIC.length + 2 || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw new PackError('not a tdbroker session backup (neither a tar archive nor the older format)')
  const files: PackedFile[] = []
  let at = MAGIC.length
  const need = (n: number): void => { if (at + n > data.length) throw new PackError('the backup is truncated') }
  for (;;) {
    need(2)
    const nameLength = data.readUInt16BE(at)
    at += 2
    if (nameLength === 0) break
    need(nameLength + 12)
    const name = data.toString('utf8', at, at + nameLength)
    at += nameLength
    const mode = data.readUInt32BE(at)
    const size = Number(data.readBigUInt64BE(at + 4))
    at += 12
    if (!isPlainName(name)) throw new PackError(`the backup names an unsafe path ${JSON.stringify(name)}`)
    need(size)
    files.push({ name, mode: mode & 0o777, data: data.subarray(at, at + size) })
    at += size
  }
  if (at !== data.length) throw new PackError('the backup has trailing bytes')
  return files
}

/** Writes the files of a pack into `directory` (created if needed). */
export async function unpackInto (data: Buffer, directory: string): Promise<string[]> {
  const files = readPack(data)
  await mkdir(directory, { recursive: true, mode: 0o700 })
  for (const file of files) await writeFile(join(directory, file.name), file.data, { mode: file.mode === 0 ? 0o600 : file.mode })
  return files.map(f => f.name)
}

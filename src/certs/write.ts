/**
 * Writing generated certificates to disk: private keys with mode 0600, never
 * overwriting an existing file unless forced, and never writing half a set.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CertError } from './errors.js'
import type { CaSet, PemPair } from './generate.js'

export interface PemFile {
  /** File name inside the target folder. */
  name: string
  contents: string
  /** Private keys: written with mode 0600 instead of 0644. */
  secret: boolean
}

export interface WriteOptions {
  /** Replace existing files (each one atomically, by rename). Default false. */
  force?: boolean
}

/** The siptg layout: cert.pem and key.pem. */
export function singlePairFiles (pair: PemPair): PemFile[] {
  return [
    { name: 'cert.pem', contents: pair.cert, secret: false },
    { name: 'key.pem', contents: pair.key, secret: true },
  ]
}

/** The CA layout: ca.pem, ca-key.pem, server.pem, server-key.pem, client-NAME.pem, client-NAME-key.pem. */
export function caSetFiles (set: CaSet): PemFile[] {
  return [
    { name: 'ca.pem', contents: set.ca.cert, secret: false },
    { name: 'ca-key.pem', contents: set.ca.key, secret: true },
    { name: 'server.pem', contents: set.server.cert, secret: false },
    { name: 'server-key.pem', contents: set.server.key, secret: true },
    ...set.clients.flatMap(c => [
      { name: `client-${c.name}.pem`, contents: c.cert, secret: false },
      { name: `client-${c.name}-key.pem`, contents: c.key, secret: true },
    ]),
  ]
}

/**
 * Writes the files into `dir` (created if missing) and returns their paths.
 * Without `force`, fails before writing anything if any of them already exists.
 */
export async function writePemFiles (dir: string, files: readonly PemFile[], options: WriteOptions = {}): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (e) {
    throw new CertError('CERT_WRITE_FAILED', `cannot create folder ${dir}: ${(e as Error).message}`, { path: dir, cause: e })
  }
  const targets = files.map(f => ({ ...f, path: join(dir, f.name) }))
  if (options.force !== true) {
    const existing: string[] = []
    for (const t of targets) if (await exists(t.path)) existing.push(t.path)
    if (existing.length > 0) {
      throw new CertError('CERT_FILE_EXISTS',
        `refusing to overwrite ${existing.join(', ')}; move ${existing.length === 1 ? 'it' : 'them'} away or pass --force`,
        { path: existing[0] })
    }
  }
  for (const t of targets) {
    const mode = t.secret ? 0o600 : 0o644
    try {
      if (options.force === true) {
        // write beside and rename, so a watcher never sees a half-written file
        const tmp = `${t.path}.${randomBytes(4).toString('hex')}.tmp`
        try {
          await writeNew(tmp, t.contents, mode)
          await rename(tmp, t.path)
        } finally {
          await rm(tmp, { force: true })
        }
      } else {
        await writeNew(t.path, t.contents, mode)
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CertError('CERT_FILE_EXISTS', `refusing to overwrite ${t.path}; move it away or pass --force`,
          { path: t.path, cause: e })
      }
      throw new CertError('CERT_WRITE_FAILED', `cannot write ${t.path}: ${(e as Error).message}`, { path: t.path, cause: e })
    }
  }
  return targets.map(t => t.path)
}

async function writeNew (path: string, contents: string, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode)
  try {
    await fh.writeFile(contents)
  } finally {
    await fh.close()
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new CertError('CERT_WRITE_FAILED', `cannot check ${path}: ${(e as Error).message}`, { path, cause: e })
  }
}

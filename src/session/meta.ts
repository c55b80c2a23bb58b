/**
 * The broker's own small file in a session folder, next to TDLib's data:
 * who created the session (for scopes with `sessions: "own"`) and how far
 * its update sequence numbers are reserved (so a restarted broker never
 * hands out a number twice). Written atomically: a temporary file, synced,
 * then renamed over the old one.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../store/atomic-file.js'

export const META_FILE = '.tdbroker-session.json'

export interface SessionMeta {
  /** Name of the client that created the session; absent when created without a clients list. */
  creator?: string
  /** Every sequence number handed out so far is at most this. */
  seq_reserved: number
  /** Id of the key TDLib's database is encrypted with ("none" for no key; database-key.ts); absent: not recorded yet. */
  database_key?: string
  /**
   * The backend whose data the folder holds ("tdlib" or "sandbox"); absent in
   * folders from before it was recorded. A broker leaves the other kind's folders alone.
   */
  backend?: BackendKind
}

export type BackendKind = 'tdlib' | 'sandbox'

export interface ReadMeta {
  meta: SessionMeta
  /** Set when the file exists but cannot be used; the meta is then a safe fallback. */
  problem?: string
}

/**
 * Reads the file of a session folder. A missing file (a session from before
 * this file existed) starts at 0. An unreadable or corrupt one loses the
 * creator and starts the sequence at the current time in milliseconds, which
 * is above any number a session can have used, so none is reused.
 */
export async function readMeta (directory: string): Promise<ReadMeta> {
  const file = join(directory, META_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { meta: { seq_reserved: 0 } }
    return { meta: { seq_reserved: Date.now() }, problem: `${file} cannot be read (${(e as Error).message})` }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const record = parsed as Partial<SessionMeta> | undefined
  if (typeof record !== 'object' || record === null || !Number.isSafeInteger(record.seq_reserved) || (record.seq_reserved as number) < 0 ||
    (record.creator !== undefined && typeof record.creator !== 'string') ||
    (record.database_key !== undefined && (typeof record.database_key !== 'string' || !/^(none|[0-9a-f]{16})$/.test(record.database_key))) ||
    (record.backend !== undefined && record.backend !== 'tdlib' && record.backend !== 'sandbox')) {
    return { meta: { seq_reserved: Date.now() }, problem: `${file} is not valid` }
  }
  return {
    meta: {
      ...(record.creator === undefined ? {} : { creator: record.creator }),
      seq_reserved: record.seq_reserved as number,
      ...(record.database_key === undefined ? {} : { database_key: record.database_key }),
      ...(record.backend === undefined ? {} : { backend: record.backend })
    }
  }
}

/** Writes the file atomically (temporary file, synced, renamed over the old one). */
export async function writeMeta (directory: string, meta: SessionMeta): Promise<void> {
  await writeFileAtomic(join(directory, META_FILE), JSON.stringify(meta) + '\n')
}

/**
 * The sequence index (seq-index.ts) of a session, saved in its folder on a
 * clean stop, so that a client resuming after a broker restart is not told
 * of a loss for updates its filters would have dropped. Compact: types are
 * listed once and entries refer to them by position. The file is only ever
 * a hint: when it is missing, corrupt or does not end exactly where the
 * session's numbering goes on (a crash), it is ignored and the numbers it
 * would have covered count as unknown, hence as lost.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../store/atomic-file.js'
import type { IndexEntry } from './seq-index.js'

export const INDEX_FILE = '.tdbroker-seq-index.json'

export interface SavedIndex {
  readonly knownFrom: number
  readonly last: number
  readonly entries: IndexEntry[]
}

interface IndexFileV1 {
  version: 1
  known_from: number
  last: number
  types: string[]
  /** [seq, position in types, chat id or null] */
  entries: Array<[number, number, number | null]>
}

/** Reads a saved index; undefined when there is none or it cannot be trusted (see the file comment). */
export async function readIndex (directory: string): Promise<SavedIndex | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(join(directory, INDEX_FILE), 'utf8'))
  } catch {
    return undefined
  }
  const file = parsed as Partial<IndexFileV1> | null
  if (typeof file !== 'object' || file === null || file.version !== 1 || !isCount(file.known_from) || !isCount(file.last) ||
    !Array.isArray(file.types) || !file.types.every(t => typeof t === 'string') || !Array.isArray(file.entries)) return undefined
  const types = file.types
  const entries: IndexEntry[] = []
  for (const raw of file.entries as unknown[]) {
    if (!Array.isArray(raw) || raw.length !== 3) return undefined
    const [seq, typeAt, chat] = raw as unknown[]
    if (!isCount(seq) || !isCount(typeAt) || typeAt >= types.length || (chat !== null && !Number.isSafeInteger(chat))) return undefined
    entries.push({ seq, type: types[typeAt] as string, chatId: chat === null ? undefined : chat as number })
  }
  return { knownFrom: file.known_from, last: file.last, entries }
}

/** Writes the index atomically (temporary file, synced, renamed over the old one). */
export async function writeIndex (directory: string, index: SavedIndex): Promise<void> {
  const types: string[] = []
  const typeAt = new Map<string, number>()
  const entries: IndexFileV1['entries'] = index.entries.map(e => {
    let at = typeAt.get(e.type)
    if (at === undefined) {
      at = types.push(e.type) - 1
      typeAt.set(e.type, at)
    }
    return [e.seq, at, e.chatId ?? null]
  })
  const body: IndexFileV1 = { version: 1, known_from: index.knownFrom, last: index.last, types, entries }
  await writeFileAtomic(join(directory, INDEX_FILE), JSON.stringify(body) + '\n')
}

function isCount (value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

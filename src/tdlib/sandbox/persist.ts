/**
 * The marker a sandbox session leaves in its folder, so that a new process
 * with the same seeded world finds the session still logged in (real TDLib
 * keeps this in td.binlog).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const MARKER_FILE = 'sandbox-session.json'

export interface SessionMarker {
  format: 1
  user_id: number
  phone: string
  /** Set for accounts made by registerUser, so a new world can recreate them. */
  registered?: { first_name: string, last_name: string }
  known_users: number[]
  known_chats: number[]
}

/** The folder's marker, or undefined when it has none (or an unreadable one). */
export function readMarker (directory: string): SessionMarker | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(join(directory, MARKER_FILE), 'utf8'))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const m = parsed as Partial<SessionMarker>
  if (m.format !== 1 || typeof m.user_id !== 'number' || typeof m.phone !== 'string') return undefined
  const ids = (v: unknown): number[] => Array.isArray(v) ? v.filter((x): x is number => Number.isSafeInteger(x)) : []
  return {
    format: 1,
    user_id: m.user_id,
    phone: m.phone,
    ...(m.registered === undefined ? {} : { registered: m.registered }),
    known_users: ids(m.known_users),
    known_chats: ids(m.known_chats),
  }
}

/** Writes atomically (temp file, then rename). */
export function writeMarker (directory: string, marker: SessionMarker): void {
  mkdirSync(directory, { recursive: true })
  const target = join(directory, MARKER_FILE)
  const temp = `${target}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(marker) + '\n')
  renameSync(temp, target)
}

/** Removes the folder's marker; no error if there is none. */
export function deleteMarker (directory: string): void {
  rmSync(join(directory, MARKER_FILE), { force: true })
}

/**
 * The keys TDLib's databases are encrypted with, and which one a session
 * folder uses. The setting is a secret of any length (at least 16
 * characters); what TDLib gets is 32 bytes derived from it with HKDF-SHA256,
 * so every key has the same strength and the backup key (store/seal.ts),
 * derived from the same secret with another label, is independent of it.
 *
 * A folder's key is recorded in its meta file as a key id: a short HKDF
 * fingerprint of the secret (never the key), or "none" for the empty key.
 * A folder without a record (made before this, or by siptg) that has TDLib
 * data is taken to use no key.
 */
import { hkdfSync } from 'node:crypto'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { TdlibSettings } from '../settings/types.js'

/** One key as the broker uses it. */
export interface DatabaseKey {
  /** What setTdlibParameters and setDatabaseEncryptionKey get: base64 of the derived bytes, or '' for no key. */
  readonly tdlib: string
  /** Recorded in the meta file: "none", or 16 hex digits. */
  readonly id: string
  /** Where it comes from, for messages: a setting name, or "no key". */
  readonly source: string
}

export const NO_KEY: DatabaseKey = Object.freeze({ tdlib: '', id: 'none', source: 'no key' })

const SALT = 'tdbroker database key'

function derive (secret: string, label: string, bytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, label, bytes))
}

/** The key id of a secret: what the meta file and sealed backups record. */
export function keyId (secret: string): string {
  return derive(secret, 'key id', 8).toString('hex')
}

/** The 32-byte key that seals MySQL backups, derived from the database key secret. */
export function backupKeyBytes (secret: string): Buffer {
  return derive(secret, 'backup sealing key', 32)
}

/** A DatabaseKey for a secret, or NO_KEY when there is none. */
export function databaseKey (secret: string | undefined, source: string): DatabaseKey {
  if (secret === undefined || secret === '') return NO_KEY
  return Object.freeze({ tdlib: derive(secret, 'tdlib database key', 32).toString('base64'), id: keyId(secret), source })
}

/** The current key of settings and the previous one (during a rotation). */
export interface DatabaseKeys {
  current: DatabaseKey
  previous: DatabaseKey | undefined
}

const derived = new WeakMap<TdlibSettings, DatabaseKeys>()

/** The keys of settings (derived once per settings object). */
export function databaseKeys (tdlib: TdlibSettings): DatabaseKeys {
  let keys = derived.get(tdlib)
  if (keys === undefined) {
    keys = {
      current: databaseKey(tdlib.database_encryption_key, 'tdlib.database_encryption_key'),
      previous: tdlib.previous_database_encryption_key === undefined ? undefined : databaseKey(tdlib.previous_database_encryption_key, 'tdlib.previous_database_encryption_key'),
    }
    derived.set(tdlib, keys)
  }
  return keys
}

/** Whether TDLib has made its database in the folder yet (a new folder takes the current key). */
export async function hasTdlibData (directory: string): Promise<boolean> {
  for (const name of ['td.binlog', 'td_test.binlog']) {
    try {
      await access(join(directory, name))
      return true
    } catch {}
  }
  return false
}

/**
 * The keys to try, most likely first: the one the folder records (when it
 * is one of ours), then the current, the previous and no key. A folder
 * without TDLib data takes the current key alone.
 */
export function keyCandidates (keys: DatabaseKeys, recordedId: string | undefined, hasData: boolean): DatabaseKey[] {
  if (!hasData) return [keys.current]
  const known = [keys.current, ...(keys.previous === undefined ? [] : [keys.previous]), NO_KEY]
  const recorded = known.find(k => k.id === (recordedId ?? NO_KEY.id))
  const ordered = recorded === undefined ? known : [recorded, ...known]
  return ordered.filter((k, i) => ordered.findIndex(o => o.id === k.id) === i)
}

/** TDLib's answer to setTdlibParameters with a key that does not open the folder. */
export function isWrongKeyError (answer: { code?: unknown, message?: unknown }): boolean {
  return answer.code === 401 && typeof answer.message === 'string' && /wrong database encryption key/i.test(answer.message)
}

/** The SESSION_START_FAILED detail when no configured key opens the folder. */
export function noKeyOpensMessage (sessionId: string, tried: readonly DatabaseKey[], recordedId: string | undefined): string {
  const names = tried.map(k => k.source).join(', ')
  const recorded = recordedId === undefined ? '' : ` (its meta file records key id ${recordedId})`
  return `session ${sessionId}: its TDLib database is encrypted with a key the settings do not have${recorded}: TDLib answered ` +
    `"Wrong database encryption key" to ${names}. Set tdlib.database_encryption_key, or tdlib.previous_database_encryption_key ` +
    'during a rotation, to the key the folder was made with'
}

/**
 * Sealing session backups before they leave the host: AES-256-GCM under a
 * key derived from tdlib.database_encryption_key (session/database-key.ts),
 * which MySQL never sees. What MySQL holds is then useless without the key,
 * and any change to it (or a backup moved to another session's row) fails
 * the authentication tag.
 *
 * Format: the 7 bytes "TDBSEAL", a version byte (1), the 8-byte key id,
 * a 12-byte random nonce, the ciphertext of the pack (pack.ts) and the
 * 16-byte tag. The header and the session id are authenticated data.
 * An unsealed backup (from before, or made without a key) starts with the
 * pack's own "TDBPACK1" and is still restored as it is.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { backupKeyBytes, keyId } from '../session/database-key.js'
import { sha256, type Pack } from './pack.js'

const MAGIC = Buffer.from('TDBSEAL', 'latin1')
const VERSION = 1
const HEADER = MAGIC.length + 1 + 8
const NONCE = 12
const TAG = 16

/** A sealing key: the derived AES key and the id recorded in each sealed backup. */
export interface SealKey {
  readonly id: string
  readonly bytes: Buffer
  /** Which setting it comes from, for messages. */
  readonly source: string
}

/** The sealing key of a database key secret. */
export function sealKey (secret: string, source: string): SealKey {
  return { id: keyId(secret), bytes: backupKeyBytes(secret), source }
}

/** Why a backup cannot be opened; `code` is stable, for scripts and tests. */
export class SealError extends Error {
  override name = 'SealError'
  constructor (readonly code: 'BACKUP_KEY_MISMATCH' | 'BACKUP_KEY_MISSING' | 'BACKUP_DAMAGED', message: string) {
    super(`${code}: ${message}`)
  }
}

/** Whether `data` is a sealed backup (else it is a plain pack, or not a backup at all). */
export function isSealed (data: Buffer): boolean {
  return data.length >= MAGIC.length && data.subarray(0, MAGIC.length).equals(MAGIC)
}

/** The key id a sealed backup needs, or undefined for an unsealed one. */
export function sealedKeyId (data: Buffer): string | undefined {
  if (!isSealed(data) || data.length < HEADER) return undefined
  return data.subarray(MAGIC.length + 1, HEADER).toString('hex')
}

/** Seals a pack for `sessionId`. */
export function seal (pack: Buffer, key: SealKey, sessionId: string): Buffer {
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), Buffer.from(key.id, 'hex')])
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce)
  cipher.setAAD(Buffer.concat([header, Buffer.from(sessionId, 'utf8')]))
  const body = Buffer.concat([cipher.update(pack), cipher.final()])
  return Buffer.concat([header, nonce, body, cipher.getAuthTag()])
}

/**
 * The pack inside a backup of `sessionId`: unsealed as it is, sealed with
 * whichever of `keys` it names. Throws SealError when no key matches, none
 * is set, or the backup does not authenticate.
 */
export function unseal (data: Buffer, keys: readonly SealKey[], sessionId: string): Buffer {
  if (!isSealed(data)) return data
  if (data.length < HEADER + NONCE + TAG) throw new SealError('BACKUP_DAMAGED', `the sealed backup of session ${sessionId} is truncated`)
  const version = data[MAGIC.length]
  if (version !== VERSION) throw new SealError('BACKUP_DAMAGED', `the backup of session ${sessionId} is sealed in format version ${String(version)}, which this broker does not know (a newer tdbroker made it?)`)
  const id = sealedKeyId(data)!
  if (keys.length === 0) {
    throw new SealError('BACKUP_KEY_MISSING', `the backup of session ${sessionId} is sealed (key id ${id}), and the settings have no tdlib.database_encryption_key to open it`)
  }
  const key = keys.find(k => k.id === id)
  if (key === undefined) {
    throw new SealError('BACKUP_KEY_MISMATCH', `the backup of session ${sessionId} is sealed with key id ${id}, which does not match ` +
      `${keys.map(k => `${k.source} (key id ${k.id})`).join(' nor ')}: set the key it was sealed with (as tdlib.previous_database_encryption_key during a rotation)`)
  }
  const header = data.subarray(0, HEADER)
  const nonce = data.subarray(HEADER, HEADER + NONCE)
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, nonce)
  decipher.setAAD(Buffer.concat([header, Buffer.from(sessionId, 'utf8')]))
  decipher.setAuthTag(data.subarray(data.length - TAG))
  try {
    return Buffer.concat([decipher.update(data.subarray(HEADER + NONCE, data.length - TAG)), decipher.final()])
  } catch {
    throw new SealError('BACKUP_DAMAGED', `the backup of session ${sessionId} does not authenticate under ${key.source}: it was altered, damaged, or belongs to another session`)
  }
}

/** The sealing keys of settings: the current one first, then the previous (for restores during a rotation). */
export function sealKeys (tdlib: { database_encryption_key?: string, previous_database_encryption_key?: string }): SealKey[] {
  const keys: SealKey[] = []
  if (tdlib.database_encryption_key !== undefined) keys.push(sealKey(tdlib.database_encryption_key, 'tdlib.database_encryption_key'))
  if (tdlib.previous_database_encryption_key !== undefined) keys.push(sealKey(tdlib.previous_database_encryption_key, 'tdlib.previous_database_encryption_key'))
  return keys
}

/** The pack sealed for MySQL: same files, sealed data and its SHA-256, the unsealed one kept as contentSha256. */
export function sealPack (pack: Pack, key: SealKey, sessionId: string): Pack {
  const data = seal(pack.data, key, sessionId)
  return { ...pack, data, sha256: sha256(data), contentSha256: pack.sha256 }
}

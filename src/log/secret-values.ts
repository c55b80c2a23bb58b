/**
 * The secrets the broker recently handed to TDLib (the api_hash and database
 * key of setTdlibParameters, the codes, passwords and tokens of client
 * requests), so that they can be cut out of TDLib's own log lines wherever
 * TDLib prints them, under whatever field name. Bounded: the oldest go first
 * (pinned values, from settings, stay); field-name redaction (tdlib-text.ts)
 * still covers what has been forgotten.
 */
import { isSecretField } from './redact.js'

/** How many recent secrets are held. */
export const MAX_SECRET_VALUES = 256
/** Shorter values are not searched for (they would blank half of every line); field names still cover them. */
const MIN_LENGTH = 3
/** Longer values are not held whole (no real credential is that long); field names still cover them. */
const MAX_LENGTH = 4096
const MASK = '[redacted]'

/** Keys whose value is bytes (base64 in TDLib's JSON, hex in TDLib's log). */
const BYTES_KEYS = new Set(['database_encryption_key', 'new_encryption_key', 'encryption_key', 'key', 'auth_key'])

export class SecretValues {
  private readonly recent = new Map<string, true>()
  private readonly pinned = new Set<string>()

  /** Holds `value` for good (a secret of settings). */
  pin (value: string | undefined): void {
    if (value !== undefined && value.length >= MIN_LENGTH && value.length <= MAX_LENGTH) this.pinned.add(value)
  }

  /** Notes the secret fields of a request on its way to TDLib, at any depth. */
  remember (request: unknown, depth = 0): void {
    if (depth > 64 || request === null || typeof request !== 'object') return
    if (Array.isArray(request)) {
      for (const v of request) this.remember(v, depth + 1)
      return
    }
    for (const [k, v] of Object.entries(request as Record<string, unknown>)) {
      if (typeof v === 'string' && isSecretField(k, v)) {
        this.add(v)
        if (BYTES_KEYS.has(k)) this.add(hexAsTdlibPrints(v))
      } else if (typeof v === 'object') {
        this.remember(v, depth + 1)
      }
    }
  }

  /** `text` with every held secret replaced. */
  mask (text: string): string {
    let out = text
    for (const v of this.pinned) if (out.includes(v)) out = out.split(v).join(MASK)
    for (const v of this.recent.keys()) if (out.includes(v)) out = out.split(v).join(MASK)
    return out
  }

  get size (): number { return this.recent.size + this.pinned.size }

  private add (value: string): void {
    if (value.length < MIN_LENGTH || value.length > MAX_LENGTH || this.pinned.has(value)) return
    this.recent.delete(value)
    this.recent.set(value, true)
    if (this.recent.size > MAX_SECRET_VALUES) {
      const oldest = this.recent.keys().next().value
      if (oldest !== undefined) this.recent.delete(oldest)
    }
  }
}

/**
 * TDLib prints bytes as `bytes [N] { 0A 1B … }`, upper-case hex of the first
 * 64 bytes; the same form of a base64 key, so a key is found in that dump too.
 */
function hexAsTdlibPrints (base64: string): string {
  const bytes = Buffer.from(base64, 'base64').subarray(0, 64)
  return [...bytes].map(b => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')
}

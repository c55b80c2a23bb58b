/**
 * Secrets never reach a log: requests and updates are logged at verbose level
 * only through this copy, which blanks every field that can hold a credential
 * (api_hash, login and email codes, passwords, bot tokens, proxy secrets,
 * encryption keys). Field names are matched at any depth; `code` is blanked
 * only when it is a string, because error codes are numbers worth seeing.
 */
const SECRET_KEYS = new Set([
  'api_hash', 'password', 'old_password', 'new_password', 'current_password',
  'token', 'bot_token', 'secret', 'encryption_key', 'database_encryption_key',
  'new_encryption_key', 'recovery_code', 'email_address_code'
])

const MASK = '[redacted]'

export function redactSecrets (value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(v => redactSecrets(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEYS.has(k) || (k === 'code' && typeof v === 'string')) out[k] = MASK
    else out[k] = redactSecrets(v, depth + 1)
  }
  return out
}

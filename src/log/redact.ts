/**
 * Secrets never reach a log: requests, answers and updates are logged at
 * verbose level only through this copy, which blanks every field that can
 * hold a credential (api_hash, login and email codes, passwords, bot tokens,
 * proxy secrets, encryption keys, payment credentials). Field names are
 * matched at any depth; `code` is blanked only when it is a string, because
 * error codes are numbers worth seeing. Texts lose their login codes and
 * login links (login-codes.ts), and everything inside an object about
 * Telegram's service account 777000 (its chat, its messages) is read as a
 * service text, where every long run of digits goes.
 */
import { maskCodes, maskServiceText, SERVICE_ACCOUNT_ID } from './login-codes.js'
import { boundText, MAX_LOGGED_FIELD } from './bound.js'

/**
 * The longest string a logged request, answer or update keeps (a Telegram
 * message is at most 4096 characters); keys are cut at MAX_LOGGED_FIELD.
 */
export const MAX_LOGGED_TEXT = 4096

/** Field names whose value is a credential, in TDLib's API (and the MTProto names TDLib logs). */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'api_hash', 'password', 'old_password', 'new_password', 'current_password',
  'token', 'bot_token', 'secret', 'encryption_key', 'database_encryption_key',
  'new_encryption_key', 'recovery_code', 'email_address_code', 'key', 'auth_key',
  'credentials', 'phone_code', 'bot_auth_token', 'new_password_hash', 'secure_secret'
])

const MASK = '[redacted]'

/** Is `key: value` a credential? */
export function isSecretField (key: string, value: unknown): boolean {
  return SECRET_KEYS.has(key) || (key === 'code' && typeof value === 'string')
}

/** An object about the service account: its chat, a message it sent, a forward of one. */
function aboutServiceAccount (o: Record<string, unknown>): boolean {
  if (o.chat_id === SERVICE_ACCOUNT_ID || o.sender_user_id === SERVICE_ACCOUNT_ID) return true
  if (o['@type'] === 'chat' && o.id === SERVICE_ACCOUNT_ID) return true
  const sender = o.sender_id as Record<string, unknown> | null | undefined
  if (typeof sender === 'object' && sender !== null && sender.user_id === SERVICE_ACCOUNT_ID) return true
  const origin = (o.forward_info as { origin?: Record<string, unknown> } | null | undefined)?.origin
  return typeof origin === 'object' && origin !== null && origin.sender_user_id === SERVICE_ACCOUNT_ID
}

/** A copy of `value` for the log, without credentials or login codes. */
export function redactSecrets (value: unknown, depth = 0, service = false): unknown {
  if (typeof value === 'string') return boundText(service ? maskServiceText(value) : maskCodes(value), MAX_LOGGED_TEXT)
  if (value === null || typeof value !== 'object') return value
  // Deeper than any TDLib object: not walked, so not shown (it could hide a secret).
  if (depth > 64) return '[too deep]'
  if (Array.isArray(value)) return value.map(v => redactSecrets(v, depth + 1, service))
  const o = value as Record<string, unknown>
  const inService = service || aboutServiceAccount(o)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    out[boundText(k, MAX_LOGGED_FIELD)] = isSecretField(k, v) ? MASK : redactSecrets(v, depth + 1, inService)
  }
  return out
}

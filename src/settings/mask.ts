/**
 * Settings fit for printing: every secret replaced by the same fixed mask, so
 * neither the secret nor its length (nor whether it is empty) shows.
 */
import type { Settings } from './types.js'

export const SECRET_MASK = '********'

/**
 * Where the secrets are, as dotted paths in the style of pino's `redact`
 * option, so the logger can hide the same fields.
 */
export const SECRET_PATHS: readonly string[] = Object.freeze([
  'tdlib.api_hash',
  'tdlib.proxy.password',
  'tdlib.proxy.secret',
  'tdlib.database_encryption_key',
  'tdlib.previous_database_encryption_key',
  'mysql.password',
  'admin.token',
])

/** A plain, JSON-ready copy of `settings` with every secret masked. */
export function maskSecrets (settings: Settings): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(settings)) as Record<string, unknown>
  for (const path of SECRET_PATHS) {
    const keys = path.split('.')
    const last = keys.pop()!
    let parent: any = copy
    for (const key of keys) parent = parent?.[key]
    if (parent !== undefined && parent !== null && last in parent) parent[last] = SECRET_MASK
  }
  return copy
}

/**
 * Client-supplied strings are cut before they reach a log line or the audit
 * file, so that a client cannot grow either by sending a huge `@type`,
 * session id or client name (a 480 KiB `@type` used to land in full in both,
 * per line). A cut string keeps its start and says how long it was.
 */

/** The longest string an audit record or a log field keeps (docs/clients.md, "Audit"). */
export const MAX_LOGGED_FIELD = 256

/** `text` at most `max` characters, plus a note of its original length when cut. */
export function boundText (text: string, max = MAX_LOGGED_FIELD): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[cut: ${text.length} characters]`
}

/**
 * A copy of `fields` whose strings (at any depth, keys too) are cut to `max`
 * characters. Arrays keep their first 64 elements; deeper than 8 levels a
 * value is not shown.
 */
export function boundFields (fields: Record<string, unknown>, max = MAX_LOGGED_FIELD): Record<string, unknown> {
  return boundValue(fields, max, 0) as Record<string, unknown>
}

function boundValue (value: unknown, max: number, depth: number): unknown {
  if (typeof value === 'string') return boundText(value, max)
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return '[too deep]'
  if (Array.isArray(value)) {
    const kept = value.slice(0, 64).map(v => boundValue(v, max, depth + 1))
    return value.length > 64 ? [...kept, `…[cut: ${value.length} elements]`] : kept
  }
  if (value instanceof Error) return boundText(value.message, max)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[boundText(k, max)] = boundValue(v, max, depth + 1)
  return out
}

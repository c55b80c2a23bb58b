/**
 * tdl names the type field `_` where TDLib's JSON says `@type`. The broker
 * speaks `@type` everywhere, so the tdl backend converts at the seam.
 */

/** `@type` to `_`, at every depth. A client-supplied `_` key is refused by the protocol before this runs. */
export function toTdl (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toTdl)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k in v) out[k === '@type' ? '_' : k] = toTdl((v as Record<string, unknown>)[k])
    return out
  }
  return v
}

/** `_` to `@type`, at every depth. */
export function fromTdl (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromTdl)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k in v) out[k === '_' ? '@type' : k] = fromTdl((v as Record<string, unknown>)[k])
    return out
  }
  return v
}

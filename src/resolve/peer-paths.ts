/**
 * request_peers paths: a field name ("chat_id") or a dotted path into nested
 * objects ("input_message_content.contact.user_id", "member_id.user_id").
 * Arrays are entered wherever they are met, so "user_ids" covers every
 * element of the list, and "input_message_contents.contact.user_id" every
 * item of one. A path is checked against TDLib's schema when settings load:
 * it must end in a number field (int32 or int53, one or a list), the only
 * kind of field a user or chat id can be in.
 */
import { TDLIB_FUNCTIONS, TDLIB_VERSION } from '../settings/tdlib-names.js'
import { concreteTypes, inputFields } from '../tdlib/input-schema.js'

const SEGMENT = /^[a-z][a-z0-9_]*$/

/** Ids that resolution never produces: a username gives a user or a chat, never a group's own id. */
const GROUP_ID = /(?:^|_)(?:supergroup|basic_group|secret_chat)_ids?$/

/** Why `path` of request `type` can never hold a peer; undefined when it can (or TDLib lacks the request, which is a warning elsewhere). */
export function peerPathProblem (type: string, path: string): string | undefined {
  const segments = path.split('.')
  if (!segments.every(s => SEGMENT.test(s))) return `"${path}" is not a field name or a dotted path of field names (like "chat_id" or "input_message_content.contact.user_id")`
  if (!TDLIB_FUNCTIONS.has(type)) return undefined
  let types: readonly string[] = [type]
  for (const [i, segment] of segments.entries()) {
    const here = `${type}.${segments.slice(0, i + 1).join('.')}`
    const found = types.map(t => inputFields(t).get(segment)).filter(f => f !== undefined)
    if (found.length === 0) return `${here}: TDLib ${TDLIB_VERSION} has no number or object field "${segment}" there, so it can never hold a user or chat id`
    const last = i === segments.length - 1
    const numbers = found.some(f => f.base === 'number')
    if (last) {
      if (!numbers) return `${here} holds an object, not an id; name a number field inside it`
      if (GROUP_ID.test(segment)) return `${here} takes a group's own id, which a username or phone number does not resolve to; use a chat_id field`
      return undefined
    }
    const objects = found.filter(f => f.base !== 'number')
    if (objects.length === 0) return `${here} is a number, so it has no field ${segments[i + 1]}`
    types = [...new Set(objects.flatMap(f => concreteTypes(f.base)))]
  }
  return undefined
}

/** Every problem of a request_peers setting (values already lists), as settings errors say them. */
export function requestPeersProblems (peers: Readonly<Record<string, string | readonly string[]>> | undefined): string[] {
  const problems: string[] = []
  for (const [type, paths] of Object.entries(peers ?? {})) {
    const list = [paths].flat()
    list.forEach((path, i) => {
      const problem = peerPathProblem(type, path)
      const at = Array.isArray(paths) ? `/request_peers/${type}/${i}` : `/request_peers/${type}`
      if (problem !== undefined) problems.push(`${at}: ${problem}`)
    })
  }
  return problems
}

/** One value found at a path: where it is (keys from the request's root) and how errors name it. */
export interface Found {
  keys: Array<string | number>
  where: string
  value: unknown
}

/** Most values a walk yields: a request is a bounded frame, but say so. */
const MAX_FOUND = 10_000
/** Lists inside lists deeper than this are not entered (no TDLib field nests so), so no input can exhaust the stack. */
const MAX_DEPTH = 64

/** Every value at `path` in `request` (arrays entered at every level, absent fields skipped). */
export function valuesAt (request: Record<string, unknown>, path: string): Found[] {
  const segments = path.split('.')
  const found: Found[] = []
  const walk = (value: unknown, i: number, keys: Array<string | number>, where: string): void => {
    if (found.length >= MAX_FOUND || keys.length > MAX_DEPTH) return
    if (Array.isArray(value)) {
      // An array at the end is a list of ids; on the way, a list of objects. Either way, every item.
      value.forEach((item, j) => { walk(item, i, [...keys, j], `${where}[${j}]`) })
      return
    }
    if (i === segments.length) {
      found.push({ keys, where, value })
      return
    }
    if (value === null || typeof value !== 'object') return
    const key = segments[i]!
    if (!Object.hasOwn(value, key)) return
    walk((value as Record<string, unknown>)[key], i + 1, [...keys, key], `${where}.${key}`)
  }
  walk(request, 0, [], String(request['@type']))
  return found
}

/** `root` with the values at `keys` replaced; what lies on the way is copied (once), the rest shared. */
export function withValues (root: Record<string, unknown>, changes: ReadonlyArray<{ keys: ReadonlyArray<string | number>, value: unknown }>): Record<string, unknown> {
  const copies = new Set<unknown>()
  const copy = <T extends object>(node: T): T => {
    if (copies.has(node)) return node
    const made = (Array.isArray(node) ? [...node] : { ...node }) as T
    copies.add(made)
    return made
  }
  const top = copy(root)
  for (const { keys, value } of changes) {
    let node = top as Record<string | number, unknown>
    keys.forEach((key, i) => {
      if (i === keys.length - 1) { node[key] = value; return }
      const child = copy(node[key] as object)
      node[key] = child
      node = child as Record<string | number, unknown>
    })
  }
  return top
}

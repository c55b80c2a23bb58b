/**
 * Reading and writing protocol objects: docs/protocol.md is the contract.
 */
import { BrokerError } from '../errors.js'
import type { TdObject } from '../tdlib/backend.js'
import { MAX_FRAME_DEPTH, scanFrame, type FrameScan } from './json-scan.js'

/** A parsed line: a JSON object with a string @type. */
export interface Incoming {
  readonly message: Record<string, unknown>
  readonly type: string
  /** Where its answer goes: its @extra, as the client wrote it. */
  readonly replyTo: ReplyTo
}

/** Where a reply goes: the request's @extra (if it had one) and session. */
export interface ReplyTo {
  readonly hasExtra: boolean
  readonly extra: unknown
  /**
   * @extra exactly as the client wrote it (JSON text). replyLine sends this
   * text rather than encoding `extra` again, which would change what the
   * client sent (12345678901234567890 would come back as 12345678901234567000).
   */
  readonly extraJson?: string
  readonly session?: string
}

export const NO_REPLY_TO: ReplyTo = { hasExtra: false, extra: undefined }

/**
 * Parses one line. Its nesting is checked first, in one pass that does not
 * recurse, so that nothing (JSON.parse, the log, JSON.stringify of @extra)
 * ever walks a frame deep enough to overflow the stack. Throws a WireError
 * carrying what was recoverable of @extra.
 */
export function parseLine (line: string): Incoming {
  const scan = scanFrame(line)
  if (scan.depth > MAX_FRAME_DEPTH) {
    throw new WireError(shallowExtra(line, scan),
      new BrokerError('FRAME_TOO_DEEP', `objects and arrays are nested ${scan.depth} levels deep; at most ${MAX_FRAME_DEPTH} are allowed`))
  }
  let message: unknown
  try {
    message = JSON.parse(line)
  } catch (e) {
    throw new WireError(NO_REPLY_TO, new BrokerError('MALFORMED_JSON', `invalid JSON: ${(e as Error).message}`))
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    const got = message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message
    throw new WireError(NO_REPLY_TO, new BrokerError('MALFORMED_JSON', `expected a JSON object, got ${got}`))
  }
  const record = message as Record<string, unknown>
  const replyTo: ReplyTo = Object.hasOwn(record, '@extra') ? extraOf(record['@extra'], line, scan) : NO_REPLY_TO
  const type = record['@type']
  if (typeof type !== 'string' || type === '') {
    throw new WireError(replyTo, new BrokerError('MISSING_TYPE', `@type must be a non-empty string, got ${describe(type)}`))
  }
  return { message: record, type, replyTo }
}

/** The reply target of a parsed frame's @extra, with its text as written. */
function extraOf (extra: unknown, line: string, scan: FrameScan): ReplyTo {
  // The scan finds @extra wherever JSON.parse does; without its text the value is encoded again.
  if (scan.extraStart < 0) return { hasExtra: true, extra }
  return { hasExtra: true, extra, extraJson: oneLine(line.slice(scan.extraStart, scan.extraEnd)) }
}

/**
 * The @extra of a frame refused as too deep, when that value itself is
 * shallow and valid JSON (so that the client can match the refusal);
 * nothing when it is the deep part or cannot be read.
 */
function shallowExtra (line: string, scan: FrameScan): ReplyTo {
  if (scan.extraStart < 0 || scan.extraDepth > MAX_FRAME_DEPTH) return NO_REPLY_TO
  const text = line.slice(scan.extraStart, scan.extraEnd)
  try {
    return { hasExtra: true, extra: JSON.parse(text), extraJson: oneLine(text) }
  } catch {
    return NO_REPLY_TO
  }
}

/**
 * A line break in @extra's text can only be whitespace between tokens (JSON
 * strings cannot hold one): a space instead keeps the answer on one line.
 */
function oneLine (text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, ' ') : text
}

/** A protocol error together with where its reply goes. */
export class WireError extends Error {
  constructor (readonly replyTo: ReplyTo, readonly error: BrokerError) { super(error.message) }
}

/** The wire line answering a request: the object plus the request's @extra and session. */
export function replyLine (object: TdObject, to: ReplyTo): string {
  let body = object
  if (Object.hasOwn(object, '@extra') || Object.hasOwn(object, '@session')) {
    body = { ...object }
    delete body['@extra']
    delete body['@session']
  }
  let json = JSON.stringify(body)
  let tail = ''
  if (to.hasExtra) tail += `,"@extra":${to.extraJson ?? JSON.stringify(to.extra) ?? 'null'}`
  if (to.session !== undefined) tail += `,"@session":"${to.session}"`
  if (tail !== '') json = json.slice(0, -1) + tail + '}'
  return json
}

/** parseLine already refuses deeper frames; this guard keeps tdlibRequest safe on its own. */
const MAX_DEPTH = MAX_FRAME_DEPTH

/**
 * The request TDLib receives: the message without the broker's fields, after
 * refusing keys that could smuggle a different type past the policy (`_` is
 * tdl's name for @type) or reach an object's prototype.
 */
export function tdlibRequest (message: Record<string, unknown>): TdObject {
  checkKeys(message, 0, [])
  const request: Record<string, unknown> = {}
  for (const key of Object.keys(message)) {
    if (key !== '@extra' && key !== '@session') request[key] = message[key]
  }
  return request as TdObject
}

/**
 * Walks the request for refused keys. The path to a key (for the error) is
 * kept as a stack of keys and spelled out only when something is refused:
 * a string per key of every request was most of this walk's cost.
 */
function checkKeys (value: unknown, depth: number, path: Array<string | number>): void {
  if (value === null || typeof value !== 'object') return
  if (depth > MAX_DEPTH) throw new BrokerError('INVALID_REQUEST', `the request is nested deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner: unknown = value[i]
      if (inner === null || typeof inner !== 'object') continue
      path.push(i)
      checkKeys(inner, depth + 1, path)
      path.pop()
    }
    return
  }
  for (const key in value) {
    // @extra is the client's own value and never reaches TDLib.
    if (depth === 0 && key === '@extra') continue
    if (key === '_' || key === '__proto__') {
      throw new BrokerError('INVALID_REQUEST', `field "${key}" at ${path.length === 0 ? 'the top level' : pathText(path)} is not allowed in a TDLib request`)
    }
    const inner = (value as Record<string, unknown>)[key]
    if (key === '@type' && typeof inner !== 'string') throw new BrokerError('INVALID_REQUEST', `${pathText([...path, key])} must be a string`)
    if (inner === null || typeof inner !== 'object') continue
    path.push(key)
    checkKeys(inner, depth + 1, path)
    path.pop()
  }
}

/** A path as the errors spell it: `a.b[2].c`. */
function pathText (path: ReadonlyArray<string | number>): string {
  let text = ''
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : (text === '' ? key : `.${key}`)
  return text
}

function describe (v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'string' ? '""' : `a ${typeof v}`
}

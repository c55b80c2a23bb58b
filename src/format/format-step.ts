/**
 * format_fields: plain strings in the listed fields become formattedText,
 * parsed by TDLib's own parser (parseTextEntities, which TDLib answers
 * synchronously and offline), so a client may send "*bold*" where TDLib
 * wants entities. It applies wherever TDLib's schema lets an object of a
 * listed type be in the request (format-routes.ts), e.g. the inputMessageText
 * in sendMessage.input_message_content; nothing else of the request is read.
 *
 * Parsing runs on the broker's thread, so it is bounded per request
 * (MAX_FORMAT_TEXTS, MAX_FORMAT_CHARS): the texts are collected first, and a
 * request over either bound is refused before anything is parsed. The step
 * runs after the chat scope (pipeline-assembly.ts): a refused request is
 * never parsed.
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import type { Settings } from '../settings/types.js'
import { isTdError, type TdBackend, type TdObject } from '../tdlib/backend.js'
import { formatRoutes, type FormatRoutes } from './format-routes.js'

/** Most texts parsed for one request (an album has 10, answerInlineQuery up to 50). */
export const MAX_FORMAT_TEXTS = 100
/** Most characters (UTF-16 units, as JavaScript counts) parsed for one request, all texts together. */
export const MAX_FORMAT_CHARS = 65_536
/** Deeper than any TDLib input object nests; frames are depth-bounded before this anyway. */
const MAX_DEPTH = 64

/** Turns one marked-up string into formattedText, or throws TEXT_PARSE_FAILED naming `where`. */
export type TextParser = (text: string, where: string) => TdObject

/** A parser on the backend's synchronous execute, in the mode format_markdown chooses. */
export function textParser (backend: Pick<TdBackend, 'execute'>, markdown: boolean): TextParser {
  const parseMode = markdown ? { '@type': 'textParseModeMarkdown', version: 2 } : { '@type': 'textParseModeHTML' }
  return (text, where) => {
    const answer = backend.execute({ '@type': 'parseTextEntities', text, parse_mode: parseMode })
    if (isTdError(answer)) throw new BrokerError('TEXT_PARSE_FAILED', `${where}: ${answer.message}`)
    return answer
  }
}

/** One string to parse: where it is (for errors and for the copy) and its text. */
interface Target { keys: Array<string | number>, text: string, where: string }

type Json = Record<string, unknown> | unknown[]

/**
 * The strings to parse in `request`: listed fields of listed types, found by
 * following only the schema's routes. Throws FORMAT_LIMIT_EXCEEDED as soon as
 * a bound is passed.
 */
function collect (request: TdObject, routes: FormatRoutes): Target[] {
  const targets: Target[] = []
  let chars = 0
  const walk = (value: unknown, declared: string | undefined, keys: Array<string | number>, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return
    if (Array.isArray(value)) {
      value.forEach((item, i) => { walk(item, declared, [...keys, i], depth + 1) })
      return
    }
    const object = value as Record<string, unknown>
    const type = typeof object['@type'] === 'string' ? object['@type'] : routes.implied(declared)
    if (type === undefined) return
    const route = routes.of(type)
    if (route === undefined) return
    for (const key of route.format) {
      const text = object[key]
      if (!Object.hasOwn(object, key) || typeof text !== 'string') continue
      chars += text.length
      if (targets.length >= MAX_FORMAT_TEXTS || chars > MAX_FORMAT_CHARS) {
        throw new BrokerError('FORMAT_LIMIT_EXCEEDED', `more than ${MAX_FORMAT_TEXTS} texts or ${MAX_FORMAT_CHARS} characters to format in one ${String(request['@type'])}; send formattedText yourself, or split the request`)
      }
      const at = [...keys, key]
      targets.push({ keys: at, text, where: `${type}.${key} (at ${pathText(at)})` })
    }
    for (const [key, inner] of route.descend) {
      if (Object.hasOwn(object, key)) walk(object[key], inner, [...keys, key], depth + 1)
    }
  }
  walk(request, undefined, [], 0)
  return targets
}

function pathText (keys: ReadonlyArray<string | number>): string {
  return keys.map((k, i) => typeof k === 'number' ? `[${k}]` : (i === 0 ? k : `.${k}`)).join('')
}

/** `root` with the value at `keys` replaced; objects on the way are copied once (`copies` remembers them). */
function put (root: Json, keys: ReadonlyArray<string | number>, value: unknown, copies: Set<unknown>): Json {
  const copy = (node: Json): Json => {
    if (copies.has(node)) return node
    const c = Array.isArray(node) ? [...node] : { ...node }
    copies.add(c)
    return c
  }
  const top = copy(root)
  let node = top as Record<string | number, unknown>
  keys.forEach((key, i) => {
    if (i === keys.length - 1) { node[key] = value; return }
    const child = copy(node[key] as Json)
    node[key] = child
    node = child as Record<string | number, unknown>
  })
  return top
}

/**
 * Returns `request` with every listed field of every listed type that holds
 * a string replaced by its formattedText. Objects on the way to a change are
 * copied; the rest (and the argument) is left untouched.
 */
export function formatFields (request: TdObject, fields: Readonly<Record<string, readonly string[]>>, parse: TextParser): TdObject {
  const targets = collect(request, formatRoutes(fields))
  if (targets.length === 0) return request
  // Every text is parsed before anything is copied: a parse error leaves no half-made request.
  const parsed = targets.map(t => parse(t.text, t.where))
  const copies = new Set<unknown>()
  let out: Json = request
  targets.forEach((t, i) => { out = put(out, t.keys, parsed[i], copies) })
  return out as TdObject
}

/**
 * The pipeline step. Settings are read per request (`settings` is a getter),
 * so it follows a settings reload; with no format_fields it does nothing.
 */
export function formatStep (settings: () => Pick<Settings, 'format_fields' | 'format_markdown'>, backend: Pick<TdBackend, 'execute'>): Step {
  const parsers = { markdown: textParser(backend, true), html: textParser(backend, false) }
  return async (ctx, next) => {
    const { format_fields: fields, format_markdown: markdown } = settings()
    if (Object.keys(fields).length > 0) ctx.request = formatFields(ctx.request, fields, markdown ? parsers.markdown : parsers.html)
    return await next()
  }
}

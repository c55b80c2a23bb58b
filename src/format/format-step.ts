/**
 * format_fields: plain strings in the listed fields become formattedText,
 * parsed by TDLib's own parser (parseTextEntities, which TDLib answers
 * synchronously and offline), so a client may send "*bold*" where TDLib
 * wants entities. It applies to every object of a listed type anywhere in
 * the request, e.g. the inputMessageText inside
 * sendMessage.input_message_content.
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import type { Settings } from '../settings/types.js'
import { isTdError, type TdBackend, type TdObject } from '../tdlib/backend.js'

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

/**
 * Returns `value` with every listed field of every listed type that holds a
 * string replaced by its formattedText. Objects on the way to a change are
 * copied; the rest (and the argument) is left untouched.
 */
export function formatFields (value: unknown, fields: Readonly<Record<string, readonly string[]>>, parse: TextParser, path = ''): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    value.forEach((item, i) => {
      const changed = formatFields(item, fields, parse, `${path}[${i}]`)
      if (changed !== item) (copy ??= [...value])[i] = changed
    })
    return copy ?? value
  }
  const object = value as Record<string, unknown>
  let copy: Record<string, unknown> | undefined
  const type = object['@type']
  const own = typeof type === 'string' && Object.hasOwn(fields, type) ? fields[type] : undefined
  for (const key of Object.keys(object)) {
    const inner = object[key]
    const at = path === '' ? key : `${path}.${key}`
    let changed: unknown
    if (own?.includes(key) === true && typeof inner === 'string') {
      changed = parse(inner, `${String(type)}.${key} (at ${at})`)
    } else {
      changed = formatFields(inner, fields, parse, at)
    }
    if (changed !== inner) (copy ??= { ...object })[key] = changed
  }
  return copy ?? object
}

/**
 * The pipeline step. Settings are read per request (`settings` is a getter),
 * so it follows a settings reload; with no format_fields it does nothing.
 */
export function formatStep (settings: () => Pick<Settings, 'format_fields' | 'format_markdown'>, backend: Pick<TdBackend, 'execute'>): Step {
  const parsers = { markdown: textParser(backend, true), html: textParser(backend, false) }
  return async (ctx, next) => {
    const { format_fields: fields, format_markdown: markdown } = settings()
    if (Object.keys(fields).length > 0) ctx.request = formatFields(ctx.request, fields, markdown ? parsers.markdown : parsers.html) as TdObject
    return await next()
  }
}

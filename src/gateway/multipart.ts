/**
 * A multipart/form-data reader as lenient as Telegram's: frameworks write
 * parts their own way (grammY sends `content-disposition:form-data;
 * name="x";filename=r.txt`, unquoted and without spaces), which the strict
 * parser of Node's fetch refuses. The body is in memory and bounded by
 * http.ts; parts are bounded by count.
 */
import { badRequest } from './errors.js'

/** One part: a text field, or a file when it has a filename. */
export interface Part {
  readonly name: string
  /** Set for a file part (possibly ""). */
  readonly filename?: string
  readonly type: string
  readonly data: Buffer
}

const unreadable = (): Error => badRequest('the multipart/form-data body could not be read (check its boundary)')

/** A parameter of a header value (`name=value` or `name="value"`); `filename*=UTF-8''…` is decoded. */
function headerParam (value: string, key: string): string | undefined {
  const extended = new RegExp(`(?:^|;)\\s*${key}\\*\\s*=\\s*(?:UTF-8|utf-8)''([^;]*)`).exec(value)
  if (extended !== null) {
    try { return decodeURIComponent((extended[1] as string).trim()) } catch { throw unreadable() }
  }
  const m = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i').exec(value)
  if (m === null) return undefined
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string).trim()
}

/** The boundary of a multipart/form-data content type. */
function boundaryOf (contentType: string): string {
  const boundary = headerParam(contentType.slice(contentType.indexOf(';') + 1), 'boundary')
  if (boundary === undefined || boundary === '' || boundary.length > 200) throw unreadable()
  return boundary
}

/** Reads every part of `body` (at most `maxParts`, else 400 naming the limit). */
export function readMultipart (contentType: string, body: Buffer, maxParts: number): Part[] {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`)
  const nextDelimiter = Buffer.concat([Buffer.from('\r\n'), delimiter])
  const parts: Part[] = []
  let at = body.indexOf(delimiter)
  if (at === -1) throw unreadable()
  for (;;) {
    at += delimiter.length
    // "--" after a delimiter ends the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts
    if (body[at] === 0x0d && body[at + 1] === 0x0a) at += 2
    else throw unreadable()
    const headersEnd = body.indexOf('\r\n\r\n', at)
    if (headersEnd === -1) throw unreadable()
    const next = body.indexOf(nextDelimiter, headersEnd + 4)
    if (next === -1) throw unreadable()
    if (parts.length >= maxParts) throw badRequest(`a multipart/form-data body may have at most ${maxParts} fields`)
    let disposition = ''
    let type = ''
    for (const line of body.subarray(at, headersEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon === -1) continue
      const key = line.slice(0, colon).trim().toLowerCase()
      if (key === 'content-disposition') disposition = line.slice(colon + 1)
      else if (key === 'content-type') type = line.slice(colon + 1).trim()
    }
    const name = headerParam(disposition, 'name')
    if (name === undefined) throw unreadable()
    const filename = headerParam(disposition, 'filename')
    parts.push({ name, type, data: body.subarray(headersEnd + 4, next), ...(filename === undefined ? {} : { filename }) })
    at = next + 2
  }
}

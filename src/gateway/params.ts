/**
 * A method's parameters, from the query string and the body (JSON or
 * x-www-form-urlencoded or multipart/form-data), read with the Bot API's leniency: numbers and
 * booleans may come as strings, objects and arrays as JSON text. Every
 * getter names the parameter in its error. A multipart file part is an
 * UploadedFile, which only the file getter (media.ts) takes.
 */
import { badRequest } from './errors.js'
import { readMultipart } from './multipart.js'

/** A file part of a multipart/form-data body, held in memory (its size is bounded by bot_api.max_upload_size). */
export class UploadedFile {
  constructor (readonly name: string, readonly type: string, readonly bytes: Buffer) {}
}

export class Params {
  constructor (private readonly values: Record<string, unknown>) {}

  has (name: string): boolean { return this.values[name] !== undefined && this.values[name] !== '' }

  /** The raw value (a string, a JSON value or an UploadedFile), for getters of their own (media.ts). */
  raw (name: string): unknown { return this.values[name] }

  string (name: string): string | undefined {
    const v = this.values[name]
    if (v === undefined) return undefined
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    if (v instanceof UploadedFile) throw badRequest(`parameter "${name}" must be a string, not a file`)
    throw badRequest(`parameter "${name}" must be a string`)
  }

  requiredString (name: string): string {
    const v = this.string(name)
    if (v === undefined || v === '') throw badRequest(`parameter "${name}" is required`)
    return v
  }

  int (name: string): number | undefined {
    const v = this.values[name]
    if (v === undefined || v === '') return undefined
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim()) ? Number(v) : NaN
    if (!Number.isSafeInteger(n)) throw badRequest(`parameter "${name}" must be an integer`)
    return n
  }

  requiredInt (name: string): number {
    const v = this.int(name)
    if (v === undefined) throw badRequest(`parameter "${name}" is required`)
    return v
  }

  bool (name: string): boolean {
    const v = this.values[name]
    if (v === undefined || v === '') return false
    if (v === true || v === 'true' || v === '1' || v === 1) return true
    if (v === false || v === 'false' || v === '0' || v === 0) return false
    throw badRequest(`parameter "${name}" must be a boolean`)
  }

  /** An object or array, given as JSON or (in a JSON body) as itself. */
  json (name: string): unknown {
    const v = this.values[name]
    if (v === undefined || v === '') return undefined
    if (v instanceof UploadedFile) throw badRequest(`parameter "${name}" must be JSON, not a file`)
    if (typeof v !== 'string') return v
    try {
      return JSON.parse(v)
    } catch {
      throw badRequest(`parameter "${name}" is not valid JSON`)
    }
  }
}

/** Fields of a multipart/form-data body read at most (its size is bounded by http.ts's MAX_BODY already). */
export const MAX_MULTIPART_FIELDS = 256

/**
 * Reads a body of this content type into parameters. multipart/form-data
 * gives its text fields as strings and its file parts as UploadedFile.
 */
export async function parseBody (contentType: string | undefined, body: Buffer): Promise<Record<string, unknown>> {
  if (body.length === 0) return {}
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/json') {
    let data: unknown
    try {
      data = JSON.parse(body.toString('utf8'))
    } catch {
      throw badRequest('the request body is not valid JSON')
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw badRequest('the JSON body must be an object of parameters')
    return data as Record<string, unknown>
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') return Object.fromEntries(new URLSearchParams(body.toString('utf8')))
  if (type === 'multipart/form-data') return multipartFields(contentType as string, body)
  throw badRequest(`unsupported content type ${type}; send JSON, x-www-form-urlencoded or multipart/form-data`)
}

function multipartFields (contentType: string, body: Buffer): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const part of readMultipart(contentType, body, MAX_MULTIPART_FIELDS)) {
    fields[part.name] = part.filename === undefined ? part.data.toString('utf8') : new UploadedFile(part.filename, part.type, part.data)
  }
  return fields
}

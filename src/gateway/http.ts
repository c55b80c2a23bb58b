/**
 * The HTTP side: `/bot<TOKEN>/<METHOD>`, GET or POST, parameters from the
 * query string and the body. Answers are the Bot API's
 * {"ok":true,"result":…} or {"ok":false,"error_code":N,"description":…}.
 * Bodies are bounded; nothing a request sends can end the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Departure } from './departure.js'
import { BotApiError, badRequest, toBotApiError } from './errors.js'
import { parseBody } from './params.js'

/** Largest request body read, in bytes, except multipart/form-data (file uploads: bot_api.max_upload_size). */
export const MAX_BODY = 1024 * 1024

/**
 * Bodies larger than MAX_BODY (uploads) read at once, over all consumers:
 * each is held in memory until its method ran, so this bounds that memory
 * to MAX_LARGE_BODIES × max_upload_size. One more is 429.
 */
export const MAX_LARGE_BODIES = 8

/** What bounds request bodies. */
export interface BodyLimits {
  /** Largest multipart/form-data body, in bytes (bot_api.max_upload_size). */
  readonly maxUpload: number
}

const ROUTE = /^\/bot([^/]*)\/([A-Za-z_]*)\/?$/

/** A result already encoded as JSON (getUpdates: updates encoded once for all consumers, queue.ts). */
export class JsonText {
  constructor (readonly text: string) {}
}

/** What a call carries besides token, method and parameters. */
export interface CallMeta {
  /** "address:port" of the peer. */
  readonly remote: string
  /** The X-Tdbroker-Instance header (a consumer group's instance), if sent. */
  readonly instance?: string
  /** The client going away before its answer (a long poll ends then). */
  readonly departure: Departure
}

/** What the gateway does with one routed call. */
export type CallHandler = (token: string, method: string, params: Record<string, unknown>, meta: CallMeta) => Promise<unknown>

/** A node:http request listener for `handle`. */
export function botApiListener (handle: CallHandler, onError: (e: unknown) => void, limits: BodyLimits): (req: IncomingMessage, res: ServerResponse) => void {
  const large = { reading: 0 }
  return (req, res) => {
    // Only a long poll needs to know that its client left: the departure is made when asked for.
    let departure: Departure | undefined
    const departed = (): Departure => {
      if (departure === undefined) {
        const d = departure = new Departure()
        res.on('close', () => { if (!res.writableFinished) d.leave() })
      }
      return departure
    }
    serve(req, res, handle, departed, limits, large).then(result => { reply(res, 200, { ok: true, result }) }, (e: unknown) => {
      const error = toBotApiError(e)
      if (error.code === 500) onError(e)
      reply(res, error.code, error.body())
    }).catch((e: unknown) => {
      // Writing the answer itself failed (a result that cannot be serialised): logged, never an unhandled rejection.
      onError(e)
      if (!res.headersSent && !res.destroyed) res.destroy()
    })
  }
}

async function serve (req: IncomingMessage, res: ServerResponse, handle: CallHandler, departed: () => Departure, limits: BodyLimits, large: { reading: number }): Promise<unknown> {
  // Split by hand: new URL() costs more than the rest of routing on the hot path.
  const target = req.url ?? '/'
  const q = target.indexOf('?')
  const route = ROUTE.exec(q === -1 ? target : target.slice(0, q))
  if (route === null) throw new BotApiError(404, 'Not Found')
  if (req.method !== 'GET' && req.method !== 'POST') throw badRequest(`method ${req.method ?? '?'} is not supported; use GET or POST`)
  const body = await readBody(req, res, limits, large)
  const query = q === -1 ? {} : Object.fromEntries(new URLSearchParams(target.slice(q + 1)))
  const params = { ...query, ...await parseBody(req.headers['content-type'], body) }
  let token: string
  try {
    token = decodeURIComponent(route[1] as string)
  } catch {
    throw new BotApiError(401, 'Unauthorized')
  }
  const header = req.headers['x-tdbroker-instance']
  const instance = typeof header === 'string' && header !== '' ? header : undefined
  const meta: CallMeta = {
    remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
    get departure () { return departed() },
    ...(instance === undefined ? {} : { instance })
  }
  return await handle(token, route[2] as string, params, meta)
}

/**
 * The whole body, at most MAX_BODY bytes, or max_upload_size for
 * multipart/form-data (413 past it, and the connection is closed rather
 * than the rest read). A body growing past MAX_BODY takes one of the
 * MAX_LARGE_BODIES slots while it is read and handled.
 */
async function readBody (req: IncomingMessage, res: ServerResponse, limits: BodyLimits, large: { reading: number }): Promise<Buffer> {
  const multipart = (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')
  const limit = multipart ? Math.max(limits.maxUpload, MAX_BODY) : MAX_BODY
  const tooLarge = (): BotApiError => multipart
    ? new BotApiError(413, `Request Entity Too Large: the request body is larger than ${limit} bytes (bot_api.max_upload_size)`)
    : badRequest(`the request body is larger than ${MAX_BODY} bytes`)
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw tooLarge()
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let slot = false
    const release = (): void => {
      if (slot) { slot = false; large.reading-- }
    }
    const refuse = (e: BotApiError): void => {
      release()
      req.removeAllListeners('data')
      req.pause()
      reject(e)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) { refuse(tooLarge()); return }
      if (size > MAX_BODY && !slot) {
        if (large.reading >= MAX_LARGE_BODIES) { refuse(new BotApiError(429, 'Too Many Requests: retry after 1', 1)); return }
        slot = true
        large.reading++
      }
      chunks.push(chunk)
    })
    // The slot is held until the answer is sent, as the bytes are in memory until then.
    req.once('end', () => { resolve(Buffer.concat(chunks)); res.once('close', release) })
    req.on('error', e => { release(); reject(e) })
    // A client gone mid-body: neither end nor (always) error comes.
    res.once('close', () => { if (!req.complete) refuse(badRequest('the request body ended early')) })
  })
}

function reply (res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return
  const result = (body as { result?: unknown }).result
  const text = result instanceof JsonText ? `{"ok":true,"result":${result.text}}` : JSON.stringify(body)
  // A body refused part-way is not read to its end: the connection closes after the answer.
  const close = !res.req.complete
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) })
  res.end(text)
}

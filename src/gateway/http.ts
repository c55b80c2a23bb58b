/**
 * The HTTP side: `/bot<TOKEN>/<METHOD>`, GET or POST, parameters from the
 * query string and the body. Answers are the Bot API's
 * {"ok":true,"result":…} or {"ok":false,"error_code":N,"description":…}.
 * Bodies are bounded; nothing a request sends can end the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BotApiError, badRequest, toBotApiError } from './errors.js'
import { parseBody } from './params.js'

/** Largest request body read, in bytes. */
export const MAX_BODY = 1024 * 1024

const ROUTE = /^\/bot([^/]*)\/([A-Za-z_]*)\/?$/

/** What a call carries besides token, method and parameters. */
export interface CallMeta {
  /** "address:port" of the peer. */
  readonly remote: string
  /** The X-Tdbroker-Instance header (a consumer group's instance), if sent. */
  readonly instance?: string
  /** Aborted when the client goes away before its answer (a long poll ends then). */
  readonly signal: AbortSignal
}

/** What the gateway does with one routed call. */
export type CallHandler = (token: string, method: string, params: Record<string, unknown>, meta: CallMeta) => Promise<unknown>

/** A node:http request listener for `handle`. */
export function botApiListener (handle: CallHandler, onError: (e: unknown) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Only a long poll needs to know that its client left: the controller is made when asked for.
    let gone: AbortController | undefined
    const signal = (): AbortSignal => {
      if (gone === undefined) {
        const controller = gone = new AbortController()
        res.on('close', () => { if (!res.writableFinished) controller.abort() })
      }
      return gone.signal
    }
    serve(req, handle, signal).then(result => { reply(res, 200, { ok: true, result }) }, (e: unknown) => {
      const error = toBotApiError(e)
      if (error.code === 500) onError(e)
      reply(res, error.code, error.body())
    })
  }
}

async function serve (req: IncomingMessage, handle: CallHandler, signal: () => AbortSignal): Promise<unknown> {
  // Split by hand: new URL() costs more than the rest of routing on the hot path.
  const target = req.url ?? '/'
  const q = target.indexOf('?')
  const route = ROUTE.exec(q === -1 ? target : target.slice(0, q))
  if (route === null) throw new BotApiError(404, 'Not Found')
  if (req.method !== 'GET' && req.method !== 'POST') throw badRequest(`method ${req.method ?? '?'} is not supported; use GET or POST`)
  const body = await readBody(req)
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
    get signal () { return signal() },
    ...(instance === undefined ? {} : { instance })
  }
  return await handle(token, route[2] as string, params, meta)
}

async function readBody (req: IncomingMessage): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(badRequest(`the request body is larger than ${MAX_BODY} bytes`))
        req.removeAllListeners('data')
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => { resolve(Buffer.concat(chunks)) })
    req.on('error', reject)
  })
}

function reply (res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

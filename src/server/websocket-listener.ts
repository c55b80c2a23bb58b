/**
 * The WebSocket transport (ws): the same protocol with one JSON object per
 * text message, over HTTP or HTTPS (with the TLS section's certificate and
 * client verification). Limits match TCP: a message over max_frame_size is
 * refused by ws with close code 1009 (message too big), and output beyond
 * max_client_queue closes the connection. An empty or blank message is
 * skipped, as a blank line is on TCP. Before authentication the
 * message limit is max_frame_size_unauthenticated instead.
 *
 * Browsers: a page on any site may open a WebSocket to any address the
 * browser can reach, and the browser says which site in the Origin header.
 * So a request carrying an Origin is refused (HTTP 403) unless that origin
 * is in websocket.allowed_origins; programs other than browsers send no
 * Origin and are not affected.
 */
import http from 'node:http'
import https from 'node:https'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer, type WebSocket } from 'ws'
import type { CertificateStore } from '../certs/store.js'
import type { Logger } from '../log/logger.js'
import { RateLimitedLog } from '../log/rate-limited.js'
import type { WebSocketSettings } from '../settings/types.js'
import type { Connection, FrameLimited } from './connection.js'
import { isBlankMessage } from './framing.js'
import { peerCertificateOf } from './tls-listener.js'
import type { PeerCertificate, Transport } from './transport.js'

/** How long a closing WebSocket peer has to answer the close frame. */
const CLOSE_GRACE_MS = 2000

export interface WebSocketListener {
  server: http.Server | https.Server
  wss: WebSocketServer
}

/** An Origin as browsers send it, for comparison: lower case, no trailing slash. */
function normalizeOrigin (origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase()
}

/**
 * Sets the longest message ws accepts on one socket, so that an
 * unauthenticated peer cannot make it buffer max_frame_size. ws has no
 * public setter for this; its receiver's field is used when present (the
 * message handler checks the size again either way).
 */
function setMessageLimit (ws: WebSocket, limit: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (receiver !== undefined && typeof receiver._maxPayload === 'number') receiver._maxPayload = limit
}

export function createWebSocketListener (
  settings: WebSocketSettings,
  store: CertificateStore | undefined,
  maxFrame: number,
  log: Logger,
  accept: (transport: Transport, bind: (c: Connection) => void) => void
): WebSocketListener {
  let server: http.Server | https.Server
  if (settings.tls) {
    if (store === undefined) throw new Error('websocket.tls needs the tls section (certificate, key, ca)')
    const httpsServer = https.createServer(store.serverOptions())
    store.attach(httpsServer)
    server = httpsServer
  } else {
    server = http.createServer()
  }
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('tdbroker speaks WebSocket here: upgrade required\n')
  })
  const allowed = new Set(settings.allowed_origins.map(normalizeOrigin))
  const refusals = new RateLimitedLog(log)
  const wss = new WebSocketServer({
    server,
    path: settings.path,
    maxPayload: maxFrame,
    perMessageDeflate: false,
    verifyClient: (info: { origin: string | undefined, req: http.IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
      const origin = info.req.headers.origin
      if (origin === undefined || allowed.has(normalizeOrigin(origin))) {
        done(true)
        return
      }
      refusals.warn('websocket-origin', { origin: origin.slice(0, 200), remote: `${info.req.socket.remoteAddress ?? '?'}:${info.req.socket.remotePort ?? '?'}` },
        'WebSocket refused: its Origin is not in websocket.allowed_origins')
      done(false, 403, 'Origin not allowed (websocket.allowed_origins)')
    }
  })
  wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    const socket = req.socket
    const transport = new WebSocketTransport(ws, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      settings.tls ? peerCertificateOf(socket as TLSSocket) : undefined)
    accept(transport, c => {
      c.watchFrameLimit(transport)
      const bound = ws as BoundWebSocket
      bound[CONNECTION] = c
      // Shared listeners that find the connection on the WebSocket (their `this`): no closures per connection.
      ws.on('message', onMessage)
      ws.on('close', onClose)
      ws.on('error', onError)
    })
  })
  wss.on('error', e => { log.error({ err: e.message }, 'websocket server error') })
  return { server, wss }
}

/**
 * A WebSocket as a Transport. A class rather than an object of closures:
 * every idle connection keeps one, and its methods are shared. It is also the
 * framing whose limit follows the connection's (ws's message limit).
 */
class WebSocketTransport implements Transport, FrameLimited {
  readonly kind = 'websocket'
  readonly peerCertificate?: PeerCertificate

  constructor (private readonly ws: WebSocket, readonly remote: string, peer: PeerCertificate | undefined) {
    if (peer !== undefined) this.peerCertificate = peer
  }

  send (line: string): void { this.ws.send(line) }
  bufferedBytes (): number { return this.ws.bufferedAmount }
  pauseReading (): void { this.ws.pause() }
  resumeReading (): void { this.ws.resume() }

  end (): void {
    this.ws.close(1000)
    // A peer that never answers the close frame must not hold the broker's shutdown.
    setTimeout(terminate.bind(this.ws), CLOSE_GRACE_MS).unref()
  }

  destroy (): void { this.ws.terminate() }
  setMaxFrame (limit: number): void { setMessageLimit(this.ws, limit) }
}

function terminate (this: WebSocket): void { this.terminate() }

const CONNECTION = Symbol('tdbroker.webSocketConnection')
type BoundWebSocket = WebSocket & { [CONNECTION]: Connection }

function connectionOf (ws: WebSocket): Connection { return (ws as BoundWebSocket)[CONNECTION] }

function onMessage (this: WebSocket, data: Buffer): void {
  const c = connectionOf(this)
  if (data.length > c.frameLimit) {
    // Only reached if ws's own limit could not be lowered (setMessageLimit).
    this.close(1009, `message exceeds ${c.frameLimitName.split(' ')[0] ?? 'max_frame_size'}`)
    c.close('frame too large')
    return
  }
  // ws hands both kinds as one Buffer (binaryType 'nodebuffer', its default): a binary message is read as UTF-8 text too, without a copy.
  const text = data.toString('utf8')
  if (isBlankMessage(text)) return
  // Connection.receive answers every error itself; a throw here is a bug, and it costs this connection, never the process.
  try {
    c.receive(text)
  } catch (e) {
    c.log.error({ err: e instanceof Error ? e.message : String(e) }, 'unexpected error while reading; closing the connection')
    c.close('internal error', true)
  }
}

function onClose (this: WebSocket): void { connectionOf(this).close('websocket closed') }
function onError (this: WebSocket, e: Error): void { connectionOf(this).log.debug({ err: e.message }, 'websocket error') }

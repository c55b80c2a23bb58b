/**
 * The three ways to reach a broker, behind one small interface: plain TCP,
 * TLS (a pinned certificate or a CA, with a client certificate), and
 * WebSocket (ws:// and wss://; the browser's own WebSocket when there is one,
 * the `ws` package in Node).
 */
import { LineSplitter } from './framing.js'

/** An open connection to the broker carrying one JSON object per frame. */
export interface Transport {
  send(line: string): void
  close(): void
  /** Bytes accepted by send() but not yet handed to the network. */
  readonly bufferedBytes: number
}

export interface TransportEvents {
  onFrame(line: string): void
  onClose(reason: string): void
}

export interface TlsOptions {
  /** PEM: certificates the server's certificate must chain to; for a self-signed server, the certificate itself. */
  ca?: string | Uint8Array
  /** PEM client certificate and key, when the broker identifies clients by certificate. */
  cert?: string | Uint8Array
  key?: string | Uint8Array
  /** SHA-256 fingerprint of the exact server certificate to accept (pinning; any case, colons optional). */
  fingerprint256?: string
  /** The name to check the server certificate against (default: the host of the URL). */
  servername?: string
}

export interface ConnectTarget {
  /** tcp://host:port, tls://host:port, ws://host:port/path or wss://host:port/path */
  url: string
  tls?: TlsOptions
  /** Give up connecting after this many ms (default 10000). */
  connectTimeoutMs?: number
}

const normalise = (fp: string): string => fp.replace(/:/g, '').toUpperCase()

/** Opens a transport; resolves once it can carry frames. */
export async function openTransport (target: ConnectTarget, events: TransportEvents): Promise<Transport> {
  const url = new URL(target.url)
  const timeoutMs = target.connectTimeoutMs ?? 10_000
  switch (url.protocol) {
    case 'tcp:':
    case 'tls:':
      return await openSocket(url, target, timeoutMs, events)
    case 'ws:':
    case 'wss:':
      return await openWebSocket(url, target, timeoutMs, events)
    default:
      throw new Error(`unsupported broker URL ${target.url}: use tcp://, tls://, ws:// or wss://`)
  }
}

async function openSocket (url: URL, target: ConnectTarget, timeoutMs: number, events: TransportEvents): Promise<Transport> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = Number(url.port)
  if (!Number.isInteger(port) || port <= 0) throw new Error(`broker URL ${target.url} names no port`)
  const net = await import('node:net')
  let socket: import('node:net').Socket
  if (url.protocol === 'tls:') {
    const tls = await import('node:tls')
    const o = target.tls ?? {}
    const pinned = o.fingerprint256 === undefined ? undefined : normalise(o.fingerprint256)
    socket = tls.connect({
      host, port, servername: o.servername ?? (net.isIP(host) === 0 ? host : undefined),
      ...(o.ca !== undefined ? { ca: o.ca as string } : {}),
      ...(o.cert !== undefined ? { cert: o.cert as string } : {}),
      ...(o.key !== undefined ? { key: o.key as string } : {}),
      // A pinned certificate is trusted for what it is, whoever signed it and whatever it names.
      ...(pinned !== undefined ? { rejectUnauthorized: false } : {}),
    })
    if (pinned !== undefined) {
      socket.once('secureConnect', () => {
        const got = normalise((socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256 ?? '')
        if (got !== pinned) socket.destroy(new Error(`the server certificate's fingerprint ${got} is not the pinned ${pinned}`))
      })
    }
  } else {
    socket = net.connect({ host, port })
  }
  socket.setNoDelay(true)
  const ready = url.protocol === 'tls:' ? 'secureConnect' : 'connect'
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no connection to ${target.url} within ${timeoutMs} ms`)) }, timeoutMs)
    socket.once(ready, () => {
      // The pin check above runs first and may have destroyed the socket.
      setImmediate(() => {
        clearTimeout(timer)
        if (socket.destroyed) reject(new Error(`connection to ${target.url} failed its certificate check`))
        else resolve()
      })
    })
    socket.once('error', e => { clearTimeout(timer); reject(e) })
  })
  const splitter = new LineSplitter(line => { events.onFrame(line) })
  let closeReason = 'the broker closed the connection'
  socket.on('data', chunk => { splitter.push(chunk) })
  socket.on('error', e => { closeReason = e.message })
  socket.on('close', () => { events.onClose(closeReason) })
  return {
    send: line => { socket.write(line + '\n') },
    close: () => { closeReason = 'closed by the client'; socket.end(); setTimeout(() => { socket.destroy() }, 1000).unref() },
    get bufferedBytes () { return socket.writableLength }
  }
}

/** The subset of the WebSocket API that both the browser and `ws` offer. */
interface SocketLike {
  readonly readyState: number
  readonly bufferedAmount: number
  send(data: string): void
  close(code?: number): void
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: { code: number, reason: string }) => void) | null
  onerror: ((ev: { message?: string }) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
}
type SocketConstructor = new (url: string, options?: unknown) => SocketLike

async function openWebSocket (url: URL, target: ConnectTarget, timeoutMs: number, events: TransportEvents): Promise<Transport> {
  const native = (globalThis as { WebSocket?: SocketConstructor }).WebSocket
  const o = target.tls ?? {}
  const needsNodeTls = o.ca !== undefined || o.cert !== undefined || o.fingerprint256 !== undefined
  let ws: SocketLike
  if (native !== undefined && !needsNodeTls) {
    ws = new native(url.href)
  } else {
    const { default: WebSocket } = await import('ws')
    const pinned = o.fingerprint256 === undefined ? undefined : normalise(o.fingerprint256)
    ws = new (WebSocket as unknown as SocketConstructor)(url.href, {
      perMessageDeflate: false,
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.cert !== undefined ? { cert: o.cert } : {}),
      ...(o.key !== undefined ? { key: o.key } : {}),
      ...(o.servername !== undefined ? { servername: o.servername } : {}),
      ...(pinned !== undefined
        ? {
            rejectUnauthorized: false,
            checkServerIdentity: (_host: string, cert: { fingerprint256?: string }) =>
              normalise(cert.fingerprint256 ?? '') === pinned ? undefined : new Error('the server certificate is not the pinned one')
          }
        : {})
    })
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { ws.close(); reject(new Error(`no connection to ${target.url} within ${timeoutMs} ms`)) }, timeoutMs)
    ws.onopen = () => { clearTimeout(timer); resolve() }
    ws.onerror = e => { clearTimeout(timer); reject(new Error(`cannot connect to ${target.url}: ${e.message ?? 'WebSocket error'}`)) }
    ws.onclose = e => { clearTimeout(timer); reject(new Error(`cannot connect to ${target.url}: closed (${e.code})`)) }
  })
  let closeReason: string | undefined
  ws.onerror = e => { closeReason = e.message ?? 'WebSocket error' }
  ws.onclose = e => { events.onClose(closeReason ?? `the broker closed the WebSocket (${e.code}${e.reason === '' ? '' : ` ${e.reason}`})`) }
  ws.onmessage = e => {
    const data = e.data
    events.onFrame(typeof data === 'string' ? data : new TextDecoder().decode(data as Uint8Array))
  }
  return {
    send: line => { ws.send(line) },
    close: () => { closeReason = 'closed by the client'; ws.close(1000) },
    get bufferedBytes () { return ws.bufferedAmount }
  }
}

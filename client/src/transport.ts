/**
 * The ways to reach a broker, behind one small interface. This file holds
 * what every platform shares and imports no node: module: the interface, the
 * options, and WebSocket over any constructor with the standard API (the
 * browser's own, or `ws` in Node). TCP and TLS are in transport-node.ts.
 */

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

/** Opens a transport to a target; resolves once it can carry frames. */
export type TransportOpener = (target: ConnectTarget, events: TransportEvents) => Promise<Transport>

/** A file on the caller's machine, opened for uploading in parts (Node only). */
export interface OpenedFile { name: string, size: number, chunks: AsyncIterable<Uint8Array> }

/** What an entry point (Node's or the browser's) gives the client: how to connect, and how to read a local path. */
export interface Platform {
  openTransport: TransportOpener
  openFile?: (path: string, partSize: number) => Promise<OpenedFile>
}

export const normaliseFingerprint = (fp: string): string => fp.replace(/:/g, '').toUpperCase()

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

/** The subset of the WebSocket API that both the browser and `ws` offer. */
export interface SocketLike {
  readonly readyState: number
  readonly bufferedAmount: number
  send(data: string): void
  close(code?: number): void
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: { code: number, reason: string }) => void) | null
  onerror: ((ev: { message?: string }) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
}

/** Opens a WebSocket made by `make` and carries one JSON object per message. */
export async function openWebSocket (target: ConnectTarget, events: TransportEvents, make: () => SocketLike): Promise<Transport> {
  const timeoutMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const ws = make()
  // Text frames arrive as strings; a binary one as bytes, never a Blob (the browser's default) that would need an await.
  ;(ws as { binaryType?: string }).binaryType = 'arraybuffer'
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { ws.close(); reject(new Error(`no connection to ${target.url} within ${timeoutMs} ms`)) }, timeoutMs)
    ws.onopen = () => { clearTimeout(timer); resolve() }
    ws.onerror = e => { clearTimeout(timer); reject(new Error(`cannot connect to ${target.url}: ${e.message ?? 'WebSocket error'}`)) }
    ws.onclose = e => { clearTimeout(timer); reject(new Error(`cannot connect to ${target.url}: closed (${e.code})`)) }
  })
  let closeReason: string | undefined
  const decoder = new TextDecoder()
  ws.onerror = e => { closeReason = e.message ?? 'WebSocket error' }
  ws.onclose = e => { events.onClose(closeReason ?? `the broker closed the WebSocket (${e.code}${e.reason === '' ? '' : ` ${e.reason}`})`) }
  ws.onmessage = e => {
    const data = e.data
    events.onFrame(typeof data === 'string' ? data : decoder.decode(data as ArrayBuffer))
  }
  return {
    send: line => { ws.send(line) },
    close: () => { closeReason = 'closed by the client'; ws.close(1000) },
    get bufferedBytes () { return ws.bufferedAmount }
  }
}

/** The URL's scheme without its colon, checked against what a platform offers. */
export function schemeOf (target: ConnectTarget, offered: readonly string[]): string {
  let url: URL
  try { url = new URL(target.url) } catch { throw new Error(`the broker URL "${target.url}" is not a URL: use ${offered.map(s => `${s}://`).join(', ')}`) }
  const scheme = url.protocol.slice(0, -1)
  if (!offered.includes(scheme)) throw new Error(`unsupported broker URL ${target.url}: use ${offered.map(s => `${s}://`).join(', ')}`)
  return scheme
}

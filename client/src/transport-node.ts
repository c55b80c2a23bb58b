/**
 * Node's transports: plain TCP and TLS (a pinned certificate or a CA, with a
 * client certificate), and WebSocket through the `ws` package (which, unlike
 * a browser, can take TLS options), plus reading a local file for uploads.
 */
import { createReadStream, promises as fs } from 'node:fs'
import net from 'node:net'
import { basename } from 'node:path'
import tls from 'node:tls'
import WebSocket from 'ws'
import {
  DEFAULT_CONNECT_TIMEOUT_MS, normaliseFingerprint, openWebSocket, schemeOf,
  type ConnectTarget, type OpenedFile, type Platform, type SocketLike, type Transport, type TransportEvents
} from './transport.js'

/** Opens a transport in Node; resolves once it can carry frames. */
export async function openNodeTransport (target: ConnectTarget, events: TransportEvents): Promise<Transport> {
  const scheme = schemeOf(target, ['tcp', 'tls', 'ws', 'wss'])
  if (scheme === 'ws' || scheme === 'wss') return await openWebSocket(target, events, () => nodeWebSocket(target))
  return await openSocket(new URL(target.url), target, events)
}

function nodeWebSocket (target: ConnectTarget): SocketLike {
  const o = target.tls ?? {}
  const pinned = o.fingerprint256 === undefined ? undefined : normaliseFingerprint(o.fingerprint256)
  // ws passes the options on to tls.connect, whose checkServerIdentity returns an Error or undefined (ws's types say boolean).
  const options: Record<string, unknown> = {
    perMessageDeflate: false,
    ...(o.ca !== undefined ? { ca: o.ca as string } : {}),
    ...(o.cert !== undefined ? { cert: o.cert as string } : {}),
    ...(o.key !== undefined ? { key: o.key as string } : {}),
    ...(o.servername !== undefined ? { servername: o.servername } : {}),
    ...(pinned !== undefined
      ? {
          rejectUnauthorized: false,
          checkServerIdentity: (_host: string, cert: { fingerprint256?: string }) =>
            normaliseFingerprint(cert.fingerprint256 ?? '') === pinned ? undefined : new Error('the server certificate is not the pinned one')
        }
      : {})
  }
  return new WebSocket(target.url, options) as unknown as SocketLike
}

async function openSocket (url: URL, target: ConnectTarget, events: TransportEvents): Promise<Transport> {
  const timeoutMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = Number(url.port)
  if (!Number.isInteger(port) || port <= 0) throw new Error(`broker URL ${target.url} names no port`)
  let socket: net.Socket
  if (url.protocol === 'tls:') {
    const o = target.tls ?? {}
    const pinned = o.fingerprint256 === undefined ? undefined : normaliseFingerprint(o.fingerprint256)
    const tlsSocket = tls.connect({
      host, port, servername: o.servername ?? (net.isIP(host) === 0 ? host : undefined),
      ...(o.ca !== undefined ? { ca: o.ca as string } : {}),
      ...(o.cert !== undefined ? { cert: o.cert as string } : {}),
      ...(o.key !== undefined ? { key: o.key as string } : {}),
      // A pinned certificate is trusted for what it is, whoever signed it and whatever it names.
      ...(pinned !== undefined ? { rejectUnauthorized: false } : {})
    })
    if (pinned !== undefined) {
      tlsSocket.once('secureConnect', () => {
        const got = normaliseFingerprint(tlsSocket.getPeerCertificate().fingerprint256 ?? '')
        if (got !== pinned) tlsSocket.destroy(new Error(`the server certificate's fingerprint ${got} is not the pinned ${pinned}`))
      })
    }
    socket = tlsSocket
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
  const splitter = new BufferLines(events.onFrame)
  let closeReason = 'the broker closed the connection'
  socket.on('data', (chunk: Buffer) => { splitter.push(chunk) })
  socket.on('error', e => { closeReason = e.message })
  socket.on('close', () => { events.onClose(closeReason) })
  return {
    send: line => { socket.write(line + '\n') },
    close: () => { closeReason = 'closed by the client'; socket.end(); setTimeout(() => { socket.destroy() }, 1000).unref() },
    get bufferedBytes () { return socket.writableLength }
  }
}

/**
 * Splits a socket's chunks into lines, decoding each line on its own (no
 * string is built for a whole chunk). A line longer than a chunk is kept as
 * a list of parts until its newline comes, so a long line costs linear time.
 */
export class BufferLines {
  private parts: Buffer[] = []
  constructor (private readonly onLine: (line: string) => void) {}

  push (chunk: Buffer): void {
    let start = 0
    let nl = chunk.indexOf(10)
    if (nl === -1) { this.parts.push(chunk); return }
    if (this.parts.length > 0) {
      this.parts.push(chunk.subarray(0, nl))
      const line = Buffer.concat(this.parts).toString('utf8')
      this.parts = []
      if (line.length > 0) this.onLine(line)
      start = nl + 1
      nl = chunk.indexOf(10, start)
    }
    for (; nl !== -1; nl = chunk.indexOf(10, start)) {
      if (nl > start) this.onLine(chunk.toString('utf8', start, nl))
      start = nl + 1
    }
    // A copy, so a small rest does not keep the whole chunk alive.
    if (start < chunk.length) this.parts.push(Buffer.from(chunk.subarray(start)))
  }
}

async function openFile (path: string, partSize: number): Promise<OpenedFile> {
  const size = (await fs.stat(path)).size
  return { name: basename(path), size, chunks: createReadStream(path, { highWaterMark: partSize }) }
}

/** Node's platform: every transport, and local paths for uploads. */
export const NODE_PLATFORM: Platform = { openTransport: openNodeTransport, openFile }

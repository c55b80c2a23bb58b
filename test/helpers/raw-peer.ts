/**
 * A client that sends raw bytes and keeps the broker's answers as the text
 * that arrived, over TCP or WebSocket, for tests of the wire itself (what
 * exactly comes back, what a malformed frame does). Every wait is bounded.
 */
import net from 'node:net'
import tls from 'node:tls'
import { WebSocket } from 'ws'

export type Msg = Record<string, unknown>

export interface RawPeer {
  readonly kind: 'tcp' | 'websocket'
  /** Every answer as received (one line, or one WebSocket message). */
  readonly lines: string[]
  /** Answers that were not one JSON object: always a broker bug. */
  readonly invalid: string[]
  readonly closed: boolean
  /** The WebSocket close code, once closed. */
  readonly closeCode: number | undefined
  /**
   * TCP: writes the chunks one by one (each after the previous one left), so
   * the broker sees the stream cut where they are. WebSocket: each chunk is
   * one message, text unless `binary`.
   */
  send(chunks: Array<Buffer | string>, binary?: boolean): Promise<void>
  /**
   * The first answer from index `from` of `lines` on (already received or
   * not) matching pred; undefined once the connection closed without one.
   */
  waitFor(pred: (line: string, msg: Msg) => boolean, opts?: { from?: number, timeoutMs?: number, what?: string }): Promise<string | undefined>
  close(): void
}

abstract class Peer implements RawPeer {
  abstract readonly kind: 'tcp' | 'websocket'
  readonly lines: string[] = []
  readonly invalid: string[] = []
  closed = false
  closeCode: number | undefined
  private waiters = new Set<() => void>()

  protected received (line: string): void {
    this.lines.push(line)
    try {
      const m: unknown = JSON.parse(line)
      if (m === null || typeof m !== 'object' || Array.isArray(m)) this.invalid.push(line)
    } catch {
      this.invalid.push(line)
    }
    this.wake()
  }

  protected ended (code?: number): void {
    this.closed = true
    this.closeCode = code
    this.wake()
  }

  private wake (): void { for (const w of [...this.waiters]) w() }

  abstract send (chunks: Array<Buffer | string>, binary?: boolean): Promise<void>
  abstract close (): void

  async waitFor (pred: (line: string, msg: Msg) => boolean, opts: { from?: number, timeoutMs?: number, what?: string } = {}): Promise<string | undefined> {
    const { timeoutMs = 10_000, what = 'an answer' } = opts
    let checked = opts.from ?? 0
    const find = (): string | undefined => {
      for (; checked < this.lines.length; checked++) {
        const line = this.lines[checked]!
        let msg: Msg
        try { msg = JSON.parse(line) as Msg } catch { continue }
        if (pred(line, msg)) return line
      }
      return undefined
    }
    const now = find()
    if (now !== undefined || this.closed) return now
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const line = find()
        if (line === undefined && !this.closed) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(line)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`${this.kind}: timed out waiting for ${what}; last answers: ${this.lines.slice(-3).join(' | ').slice(0, 500)}`))
      }, timeoutMs)
      this.waiters.add(check)
    })
  }
}

class TcpPeer extends Peer {
  readonly kind = 'tcp'
  private buffer = ''
  constructor (private readonly socket: net.Socket) {
    super()
    socket.setNoDelay(true)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      for (let nl = this.buffer.indexOf('\n'); nl !== -1; nl = this.buffer.indexOf('\n')) {
        this.received(this.buffer.slice(0, nl))
        this.buffer = this.buffer.slice(nl + 1)
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => { this.ended() })
  }

  async send (chunks: Array<Buffer | string>): Promise<void> {
    for (const chunk of chunks) {
      if (this.closed || this.socket.destroyed) return
      await new Promise<void>(resolve => { this.socket.write(chunk, () => { resolve() }) })
    }
  }

  close (): void { this.socket.destroy() }
}

class WsPeer extends Peer {
  readonly kind = 'websocket'
  constructor (private readonly ws: WebSocket) {
    super()
    ws.on('message', data => { this.received(String(data)) })
    ws.on('error', () => {})
    ws.on('close', code => { this.ended(code) })
  }

  async send (chunks: Array<Buffer | string>, binary = false): Promise<void> {
    for (const chunk of chunks) {
      if (this.closed || this.ws.readyState !== WebSocket.OPEN) return
      await new Promise<void>(resolve => { this.ws.send(chunk, { binary }, () => { resolve() }) })
    }
  }

  close (): void { this.ws.terminate() }
}

/** Connects over TCP to 127.0.0.1:port. */
export async function tcpPeer (port: number): Promise<RawPeer> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  return new TcpPeer(socket)
}

/** Connects over TLS to 127.0.0.1:port (servername localhost) with the given certificate options. */
export async function tlsPeer (port: number, opts: tls.ConnectionOptions): Promise<RawPeer> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts })
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
  return new TcpPeer(socket)
}

/** Connects to a WebSocket URL; the peer records messages from the first one on. */
export async function wsPeer (url: string): Promise<RawPeer> {
  const ws = new WebSocket(url)
  // Listening from the start: a message the broker sends right after the upgrade (a refusal) can
  // arrive in the same read as the upgrade answer, before 'open' listeners' promises resolve.
  const peer = new WsPeer(ws)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  return peer
}

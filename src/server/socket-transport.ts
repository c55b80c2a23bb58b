/** TCP and TLS sockets as a Transport: newline-delimited JSON. */
import type { Socket } from 'node:net'
import type { Connection } from './connection.js'
import { LineFramer, type LineSink } from './framing.js'
import { OutputBatch, type BatchSink } from './output-batch.js'
import type { PeerCertificate, Transport } from './transport.js'
import { BrokerError } from '../errors.js'
import { RateLimitedLog } from '../log/rate-limited.js'

/** Keepalive probes find dead peers (NAT timeouts, pulled cables) on idle connections. */
const KEEPALIVE_MS = 60_000

/**
 * How long a closed connection's queued output may take to leave. With
 * allowHalfOpen the socket would otherwise stay open for as long as the peer
 * keeps its own side open, which a peer that was closed for misbehaving
 * (an authentication deadline, a refused connection) has every reason to do.
 */
const CLOSE_GRACE_MS = 5000

/** What a socket's transport may be told beyond the socket itself. */
export interface SocketTransportOptions {
  /** The client's address from a trusted PROXY header, instead of the socket's peer. */
  remote?: string
  /** The verified client certificate of a TLS socket. */
  peerCertificate?: PeerCertificate
}

/**
 * A TCP or TLS socket as a Transport. A class rather than an object of
 * closures: every idle connection keeps one, and its methods are shared.
 */
export class SocketTransport implements Transport, BatchSink {
  readonly remote: string
  readonly peerCertificate?: PeerCertificate
  // Lines leave in batches (output-batch.ts): a system call per line was most of the broker's CPU time under load.
  private readonly batch = new OutputBatch(this)

  constructor (private readonly socket: Socket, readonly kind: 'tcp' | 'tls', options: SocketTransportOptions = {}) {
    this.remote = options.remote ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    if (options.peerCertificate !== undefined) this.peerCertificate = options.peerCertificate
  }

  writeBatch (data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data)
  }

  send (line: string, more = false): void { this.batch.add(line, more) }
  flush (): void { this.batch.flush() }
  bufferedBytes (): number { return this.socket.writableLength + this.batch.pendingChars }
  pauseReading (): void { this.socket.pause() }
  resumeReading (): void { this.socket.resume() }

  end (): void {
    const socket = this.socket
    this.batch.flush()
    socket.end()
    // Once everything queued is handed to the kernel (which still delivers it), the socket goes.
    if (socket.writableFinished) socket.destroy()
    else socket.once('finish', destroySocket)
    setTimeout(destroySocket.bind(socket), CLOSE_GRACE_MS).unref()
  }

  destroy (): void {
    this.batch.discard()
    this.socket.destroy()
  }
}

function destroySocket (this: Socket): void { this.destroy() }

/** One rate-limited warning per broker (keyed by its root logger). */
const proxyWarnings = new WeakMap<object, RateLimitedLog>()

/**
 * Wires a socket to a connection: framing, oversize lines, errors and close.
 * The longest line follows the connection's frame limit, which grows once
 * it has authenticated.
 *
 * With `dropProxyHeader` (the plain listener, when it did not read a PROXY
 * header itself) a first line that is a PROXY v1 header is dropped with a
 * warning instead of answered as bad JSON: nginx's shipped config sends one,
 * and a broker without proxy_protocol should still serve its clients (with
 * the proxy's address; the header is not believed).
 */
export function bindSocket (socket: Socket, connection: Connection, dropProxyHeader = false): void {
  socket.setNoDelay(true)
  socket.setKeepAlive(true, KEEPALIVE_MS)
  const binding = new SocketBinding(connection, dropProxyHeader)
  const bound = socket as BoundSocket
  bound[BINDING] = binding
  connection.watchFrameLimit(binding.framer)
  // The listeners are shared functions that find the binding on the socket (their `this`): no closures per connection.
  socket.on('data', onData)
  socket.on('error', onError)
  socket.on('end', onEnd)
  socket.on('close', onClose)
}

const BINDING = Symbol('tdbroker.socketBinding')
type BoundSocket = Socket & { [BINDING]: SocketBinding }

function onData (this: BoundSocket, chunk: Buffer): void { this[BINDING].data(chunk) }
function onError (this: BoundSocket, e: Error): void { this[BINDING].connection.log.debug({ err: e.message }, 'socket error') }
function onEnd (this: BoundSocket): void { this[BINDING].connection.inputEnded() }
function onClose (this: BoundSocket): void { this[BINDING].connection.close('socket closed') }

/** A socket's framing, wired to its connection. */
class SocketBinding implements LineSink {
  readonly framer: LineFramer

  constructor (readonly connection: Connection, private first: boolean) {
    this.framer = new LineFramer(connection.frameLimit, this)
  }

  data (chunk: Buffer): void {
    const connection = this.connection
    // A closed connection buffers nothing more, whatever the peer still sends.
    if (connection.state !== 'open') return
    // Connection.receive answers every error itself; a throw here is a bug, and it costs this connection, never the process.
    try {
      this.framer.push(chunk)
    } catch (e) {
      connection.log.error({ err: e instanceof Error ? e.message : String(e) }, 'unexpected error while reading; closing the connection')
      connection.close('internal error', true)
    }
  }

  line (text: string): void {
    const connection = this.connection
    if (this.first) {
      this.first = false
      if (text.startsWith('PROXY ')) {
        const root = connection.core.log
        let warnings = proxyWarnings.get(root)
        if (warnings === undefined) proxyWarnings.set(root, warnings = new RateLimitedLog(root))
        warnings.warn('proxy-header-ignored', { remote: connection.transport.remote },
          'a PROXY protocol header was ignored: set proxy_protocol (and proxy_protocol_trusted for a proxy not on loopback) to see the clients\' addresses')
        return
      }
    }
    connection.receive(text)
  }

  oversize (size: number): void {
    const connection = this.connection
    connection.sendError({ hasExtra: false, extra: undefined },
      new BrokerError('FRAME_TOO_LARGE', `a line of at least ${size} bytes exceeds ${connection.frameLimitName} (${connection.frameLimit}); closing the connection`))
    connection.close('frame too large')
  }
}

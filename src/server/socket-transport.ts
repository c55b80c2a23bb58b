/** TCP and TLS sockets as a Transport: newline-delimited JSON. */
import type { Socket } from 'node:net'
import type { Connection } from './connection.js'
import { LineFramer } from './framing.js'
import { OutputBatch } from './output-batch.js'
import type { Transport } from './transport.js'
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

export function socketTransport (socket: Socket, kind: 'tcp' | 'tls'): Transport {
  // Lines leave in batches (output-batch.ts): a system call per line was most of the broker's CPU time under load.
  const batch = new OutputBatch(text => { if (!socket.destroyed) socket.write(text) })
  return {
    kind,
    remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
    send: (line, more = false) => { batch.add(line, more) },
    bufferedBytes: () => socket.writableLength + batch.pendingChars,
    pauseReading: () => { socket.pause() },
    resumeReading: () => { socket.resume() },
    end: () => {
      batch.flush()
      socket.end()
      // Once everything queued is handed to the kernel (which still delivers it), the socket goes.
      if (socket.writableFinished) socket.destroy()
      else socket.once('finish', () => { socket.destroy() })
      setTimeout(() => { socket.destroy() }, CLOSE_GRACE_MS).unref()
    },
    destroy: () => {
      batch.discard()
      socket.destroy()
    }
  }
}

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
  let first = dropProxyHeader
  const onLine = (line: string): void => {
    if (first) {
      first = false
      if (line.startsWith('PROXY ')) {
        const root = connection.core.log
        let warnings = proxyWarnings.get(root)
        if (warnings === undefined) proxyWarnings.set(root, warnings = new RateLimitedLog(root))
        warnings.warn('proxy-header-ignored', { remote: connection.transport.remote },
          'a PROXY protocol header was ignored: set proxy_protocol (and proxy_protocol_trusted for a proxy not on loopback) to see the clients\' addresses')
        return
      }
    }
    connection.receive(line)
  }
  const framer = new LineFramer(connection.frameLimit, onLine, size => {
    connection.sendError({ hasExtra: false, extra: undefined },
      new BrokerError('FRAME_TOO_LARGE', `a line of at least ${size} bytes exceeds ${connection.frameLimitName} (${connection.frameLimit}); closing the connection`))
    connection.close('frame too large')
  })
  connection.watchFrameLimit(limit => { framer.setMaxFrame(limit) })
  socket.on('data', (chunk: Buffer) => {
    // A closed connection buffers nothing more, whatever the peer still sends.
    if (connection.state !== 'open') return
    // Connection.receive answers every error itself; a throw here is a bug, and it costs this connection, never the process.
    try {
      framer.push(chunk)
    } catch (e) {
      connection.log.error({ err: e instanceof Error ? e.message : String(e) }, 'unexpected error while reading; closing the connection')
      connection.close('internal error', true)
    }
  })
  socket.on('error', e => { connection.log.debug({ err: e.message }, 'socket error') })
  socket.on('end', () => { connection.inputEnded() })
  socket.on('close', () => { connection.close('socket closed') })
}

/** TCP and TLS sockets as a Transport: newline-delimited JSON. */
import type { Socket } from 'node:net'
import type { Connection } from './connection.js'
import { LineFramer } from './framing.js'
import type { Transport } from './transport.js'
import { BrokerError } from '../errors.js'

/** Keepalive probes find dead peers (NAT timeouts, pulled cables) on idle connections. */
const KEEPALIVE_MS = 60_000

export function socketTransport (socket: Socket, kind: 'tcp' | 'tls'): Transport {
  return {
    kind,
    remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
    send: line => { socket.write(line + '\n') },
    bufferedBytes: () => socket.writableLength,
    pauseReading: () => { socket.pause() },
    resumeReading: () => { socket.resume() },
    end: () => { socket.end() },
    destroy: () => { socket.destroy() }
  }
}

/** Wires a socket to a connection: framing, oversize lines, errors and close. */
export function bindSocket (socket: Socket, connection: Connection, maxFrame: number): void {
  socket.setNoDelay(true)
  socket.setKeepAlive(true, KEEPALIVE_MS)
  const framer = new LineFramer(maxFrame, line => { connection.receive(line) }, size => {
    connection.sendError({ hasExtra: false, extra: undefined },
      new BrokerError('FRAME_TOO_LARGE', `a line of at least ${size} bytes exceeds max_frame_size (${maxFrame}); closing the connection`))
    connection.close('frame too large')
  })
  socket.on('data', (chunk: Buffer) => { framer.push(chunk) })
  socket.on('error', e => { connection.log.debug({ err: e.message }, 'socket error') })
  socket.on('close', () => { connection.close('socket closed') })
}

/** TCP and TLS sockets as a Transport: newline-delimited JSON. */
import type { Socket } from 'node:net'
import type { Connection } from './connection.js'
import { LineFramer } from './framing.js'
import type { Transport } from './transport.js'
import { BrokerError } from '../errors.js'

/** Keepalive probes find dead peers (NAT timeouts, pulled cables) on idle connections. */
const KEEPALIVE_MS = 60_000

/**
 * The last line encoded, and its bytes with the newline. Fan-out writes one
 * update's line to every attached connection in a row, so it is encoded once
 * instead of once per connection.
 */
let lastLine: string | undefined
let lastBytes: Buffer = Buffer.alloc(0)

function encodeLine (line: string): Buffer {
  if (line !== lastLine) {
    lastBytes = Buffer.from(line + '\n', 'utf8')
    lastLine = line
  }
  return lastBytes
}

export function socketTransport (socket: Socket, kind: 'tcp' | 'tls'): Transport {
  // Lines written during one turn of the event loop leave in one writev: a
  // system call per line was most of the broker's CPU time under fan-out.
  let corked = false
  const uncork = (): void => {
    corked = false
    socket.uncork()
  }
  return {
    kind,
    remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
    send: line => {
      if (!corked) {
        corked = true
        socket.cork()
        process.nextTick(uncork)
      }
      socket.write(encodeLine(line))
    },
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
  socket.on('data', (chunk: Buffer) => {
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

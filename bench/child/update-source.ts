/**
 * A stand-in broker that only streams updates: every connection gets the
 * same TDLib update line (bench/lib/update-path.ts's sample, with `@session`
 * and an increasing `@seq`) as fast as the socket takes it. It runs in its
 * own process, so the benchmark process's CPU is the client's alone.
 */
import net from 'node:net'
import { serveCommands } from '../lib/ipc.js'
import { SAMPLE_UPDATE } from '../lib/update-path.js'

/** Connections in the order they were opened; the parent names them by that index. */
const connections: Array<{ socket: net.Socket, seq: number }> = []
let server: net.Server | undefined
const head = SAMPLE_UPDATE.slice(0, -1) + ',"@session":"1","@seq":'

/** Writes `count` updates to one socket in chunks, waiting for drain when the socket says so. */
async function stream (socket: net.Socket, state: { seq: number }, count: number): Promise<void> {
  const CHUNK = 256
  for (let sent = 0; sent < count;) {
    const n = Math.min(CHUNK, count - sent)
    let text = ''
    for (let i = 0; i < n; i++) text += `${head}${++state.seq}}\n`
    sent += n
    if (!socket.write(text)) await new Promise<void>(resolve => { socket.once('drain', resolve) })
  }
}

serveCommands({
  start: async () => {
    server = net.createServer(socket => {
      socket.setNoDelay(true)
      connections.push({ socket, seq: 0 })
      socket.on('error', () => {})
    })
    await new Promise<void>(resolve => { server!.listen(0, '127.0.0.1', resolve) })
    return (server.address() as net.AddressInfo).port
  },
  /** Streams `count` updates to the `connection`-th connection opened. */
  stream: async ({ connection, count }: { connection: number, count: number }) => {
    // The parent's connect can resolve before this process has accepted the connection: wait for it (bounded).
    const deadline = Date.now() + 10_000
    while (connections[connection] === undefined && Date.now() < deadline) await new Promise(resolve => { setTimeout(resolve, 10) })
    const c = connections[connection]
    if (c === undefined || c.socket.destroyed) throw new Error(`no connection ${connection} to stream to (after 10 s)`)
    await stream(c.socket, c, count)
  },
  cpu: () => process.cpuUsage()
}, {}, async () => { server?.close() })

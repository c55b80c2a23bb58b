/**
 * Beside the idle-client measurement: a bare node:net server, in a process
 * of its own as the broker is, that holds connections as the broker does (no
 * delay, keepalive), answers each line with the line the broker would
 * (broker.attached, with the request's @extra) and keeps nothing else. Its
 * JS heap per connection is Node's own objects; the broker's beyond that are
 * its own. Its RSS per connection is not a floor under the broker's: RSS
 * counts new pages, and a small process most likely has fewer free ones to
 * put a connection's native memory in (bench/parts/memory.ts says more).
 */
import net, { type AddressInfo, type Socket } from 'node:net'
import { memoryNow, serveCommands } from '../lib/ipc.js'

let server: net.Server | undefined
const sockets = new Set<Socket>()

serveCommands({
  start: async () => {
    const s = server = net.createServer(socket => {
      socket.setNoDelay(true)
      socket.setKeepAlive(true, 60_000)
      sockets.add(socket)
      let rest = ''
      socket.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n')
        rest = lines.pop() ?? ''
        for (const line of lines) {
          const request = JSON.parse(line) as { session?: string, '@extra'?: unknown }
          socket.write(JSON.stringify({ '@type': 'broker.attached', session: request.session, '@extra': request['@extra'] }) + '\n')
        }
      })
      socket.on('error', () => {})
      socket.on('close', () => { sockets.delete(socket) })
    })
    await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
    return (s.address() as AddressInfo).port
  },
  memory: () => memoryNow()
}, {}, async () => {
  for (const socket of sockets) socket.destroy()
  server?.close()
})

/**
 * The floor of any Bot API front on node:http: a server that does nothing
 * but what every HTTP call costs (parse the request, read its JSON body,
 * write a fixed answer of the real answer's bytes), in a process of its own
 * as the broker is. bench/parts/gateway.ts drives it with the same clients
 * and the same requests as the gateway, in the same rounds: what the broker
 * spends per HTTP send beyond the socket path, less this, is the gateway's
 * own.
 */
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serveCommands } from '../lib/ipc.js'

let server: Server | undefined

serveCommands({
  start: async (args: { answer: string }) => {
    const answer = args.answer
    const length = String(Buffer.byteLength(answer))
    const s = server = http.createServer({ keepAlive: true }, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      req.on('end', () => {
        // The body is parsed, as the gateway parses it; the answer does not depend on it.
        JSON.parse(Buffer.concat(chunks).toString('utf8'))
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': length })
        res.end(answer)
      })
    })
    await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
    return (s.address() as AddressInfo).port
  },
  cpu: () => process.cpuUsage()
}, {}, async () => {
  server?.closeAllConnections()
  server?.close()
})

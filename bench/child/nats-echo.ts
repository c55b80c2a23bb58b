/**
 * The floor of a request forwarded between two nodes: a NATS responder that
 * does nothing but what any answer over NATS request/reply costs (read the
 * request, parse its JSON, publish a fixed answer of the owner's answer
 * bytes), in a process of its own as the owner node is. bench/parts/cluster.ts
 * asks it from the benchmark process through the same nats-server, one
 * request at a time, in the same rounds as the two broker paths: what a
 * forwarded request costs beyond one through the owner, less this, is the
 * broker's own.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { serveCommands } from '../lib/ipc.js'

let nc: NatsConnection | undefined

serveCommands({
  start: async (args: { url: string, subject: string, answer: string }) => {
    const c = nc = await connect({ servers: args.url })
    const answer = new TextEncoder().encode(args.answer)
    c.subscribe(args.subject, {
      callback: (err, m) => {
        if (err !== null) return
        // The request is parsed, as the owner parses it; the answer does not depend on it.
        JSON.parse(m.string())
        m.respond(answer)
      }
    })
    await c.flush()
    return true
  }
}, {}, async () => {
  await nc?.close()
})

/**
 * The floor for any broker in its own process: TDLib through tdl behind a
 * TCP socket, doing only what cannot be avoided (split lines, JSON.parse,
 * invoke, JSON.stringify with @extra, write). No sessions, policy, pipeline
 * or limits. Its one TDLib client is in the state the broker's sessions are
 * in (lib/direct.ts directSession). The benchmark runs it next to the broker, so the
 * broker's own cost can be told apart from the cost of crossing a process.
 */
import net from 'node:net'
import { directSession } from '../lib/direct.js'
import { serveCommands } from '../lib/ipc.js'

let server: net.Server | undefined

serveCommands({
  /** Starts the session (in `dir`, in the broker's sessions' state) and listens; resolves with the port. */
  start: async (args: { dir: string }) => {
    const client = await directSession(args.dir)
    server = net.createServer(socket => {
      socket.setNoDelay(true)
      let buffered = ''
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8')
        for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
          const message = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>
          buffered = buffered.slice(nl + 1)
          const extra = message['@extra']
          const { '@type': type, '@extra': _extra, '@session': _session, ...fields } = message
          client.invoke({ ...fields, _: type } as Parameters<typeof client.invoke>[0]).then(answer => {
            const { _: answerType, ...rest } = answer as Record<string, unknown>
            socket.write(JSON.stringify({ '@type': answerType, ...rest, '@extra': extra }) + '\n')
          }, () => {})
        }
      })
      socket.on('error', () => {})
    })
    await new Promise<void>(resolve => { server!.listen(0, '127.0.0.1', resolve) })
    return (server.address() as net.AddressInfo).port
  },
  cpu: () => process.cpuUsage()
}, {}, async () => { server?.close() })

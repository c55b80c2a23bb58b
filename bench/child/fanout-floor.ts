/**
 * The floor of any fan-out from a process of its own: a server that does
 * nothing but write the same lines to the same clients at the same pace as
 * the paced sender, with no session, no request and no JSON. The fan-out
 * part's clients attach to it as they attach to the broker (it answers their
 * attach line), and it writes every line the pace says is due, to every
 * client, one write per client per tick: what a broker can do no cheaper,
 * and the machine's own latency at that rate (its scheduler, loopback TCP, the
 * clients' reads). Its lines are the broker's: a captured updateNewMessage
 * line with each message's marker text put in.
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { FANOUT_MARKER, serveCommands, type FloorPlan } from '../lib/ipc.js'
import { Pace } from '../lib/pace.js'

let server: net.Server | undefined
const sockets = new Set<net.Socket>()

serveCommands({
  start: async () => {
    const s = server = net.createServer(socket => {
      socket.setNoDelay(true)
      socket.on('error', () => {})
      socket.on('close', () => { sockets.delete(socket) })
      let head = ''
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('utf8')
        const nl = head.indexOf('\n')
        if (nl === -1) return
        socket.off('data', onData)
        const extra = (JSON.parse(head.slice(0, nl)) as { '@extra'?: unknown })['@extra'] ?? null
        socket.write(JSON.stringify({ '@type': 'broker.attached', '@extra': extra }) + '\n')
        sockets.add(socket)
        // What the client sends later is not read: it sends nothing more.
      }
      socket.on('data', onData)
    })
    await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
    return (s.address() as AddressInfo).port
  },
  /**
   * Writes plan.messages lines to every attached client at the pace; resolves
   * once the last is handed to the kernel. No window: unlike the sender it
   * never waits for the clients (it only would if it fell behind the pace).
   */
  paced: async (plan: FloorPlan) => {
    const targets = [...sockets]
    if (targets.length === 0) throw new Error('no client is attached to the floor')
    const pace = new Pace(plan.firstIndex, plan.pace)
    const end = plan.firstIndex + plan.messages
    for (let next = plan.firstIndex; next < end;) {
      const due = Math.min(end, pace.dueNow())
      if (due > next) {
        const lines: string[] = []
        for (; next < due; next++) lines.push(`${plan.prefix}${FANOUT_MARKER}${next}:${pace.dueAt(next)}:${plan.suffix}`)
        const bytes = Buffer.from(lines.join('\n') + '\n')
        for (const socket of targets) socket.write(bytes)
      }
      await new Promise<void>(resolve => { setTimeout(resolve, plan.tickMs) })
    }
    return null
  },
  cpu: () => process.cpuUsage()
}, {}, async () => {
  for (const socket of sockets) socket.destroy()
  server?.close()
})

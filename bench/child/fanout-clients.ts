/**
 * The fan-out clients, in their own process so that reading hundreds of
 * thousands of lines a second does not take CPU from the broker. Each client
 * is a plain TCP connection attached to the producing session. Lines are not
 * parsed as JSON: a client only finds the marker the producer put in each
 * message text, reads the message index and production time behind it, and
 * counts. It reports its progress (messages every client has seen) so the
 * producer keeps a bounded window in flight.
 */
import net from 'node:net'
import { FANOUT_MARKER, serveCommands } from '../lib/ipc.js'

const MARKER = Buffer.from(FANOUT_MARKER)

interface Run {
  readonly firstIndex: number
  readonly end: number
  readonly updatesPerMessage: number
  readonly ackEvery: number
  readonly latencies: Float64Array
  samples: number
  /** Bytes of the marked lines read (their newlines included). */
  bytes: number
  /** Reads (data events) that held at least one marked line: how batched the stream came. */
  reads: number
  firstProducedNs: bigint
  lastArrivalNs: bigint
  acked: number
  finish: () => void
}

class FanoutClient {
  /** Marker lines received in the current run. */
  received = 0
  private partial: Buffer | undefined

  constructor (readonly socket: net.Socket, private readonly onLines: (client: FanoutClient) => void) {
    socket.on('data', (chunk: Buffer) => { this.scan(chunk) })
    socket.on('error', () => {})
  }

  private scan (chunk: Buffer): void {
    const now = process.hrtime.bigint()
    let data = chunk
    if (this.partial !== undefined) {
      data = Buffer.concat([this.partial, chunk])
      this.partial = undefined
    }
    let start = 0
    let marked = false
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      const at = data.indexOf(MARKER, start)
      if (at !== -1 && at < nl && this.marked(data, at + MARKER.length, now)) {
        current!.bytes += nl + 1 - start
        marked = true
        sampleLine ??= data.toString('utf8', start, nl)
      }
      start = nl + 1
    }
    if (marked) current!.reads++
    if (start < data.length) this.partial = Buffer.from(data.subarray(start))
    this.onLines(this)
  }

  /** `<index>:<hrtime ns>:` at `pos`; says whether the line belongs to the current run. */
  private marked (data: Buffer, pos: number, now: bigint): boolean {
    const run = current
    if (run === undefined) return false
    let index = 0
    while (data[pos] !== 58) index = index * 10 + (data[pos++]! - 48)
    pos++
    let end = pos
    while (data[end] !== 58) end++
    if (index < run.firstIndex || index >= run.end) return false
    const produced = BigInt(data.toString('latin1', pos, end))
    if (index === run.firstIndex && (run.firstProducedNs === 0n || produced < run.firstProducedNs)) run.firstProducedNs = produced
    if (run.samples < run.latencies.length) run.latencies[run.samples++] = Number(now - produced) / 1000
    if (now > run.lastArrivalNs) run.lastArrivalNs = now
    this.received++
    return true
  }
}

let clients: FanoutClient[] = []
let current: Run | undefined
/** The first marked line read (without its newline): the floor writes lines like it. */
let sampleLine: string | undefined

/** After a client read lines: tell the producer how far every client has got. */
function progress (client: FanoutClient): void {
  const run = current
  if (run === undefined) return
  const mine = run.firstIndex + Math.floor(client.received / run.updatesPerMessage)
  // Only a client passing the next step can move the minimum past it.
  if (mine < run.acked + run.ackEvery && mine < run.end) return
  let least = Infinity
  for (const c of clients) least = Math.min(least, Math.floor(c.received / run.updatesPerMessage))
  const upTo = run.firstIndex + least
  if (upTo > run.acked && (upTo >= run.acked + run.ackEvery || upTo >= run.end)) {
    run.acked = upTo
    process.send?.({ notice: 'progress', args: upTo })
    if (upTo >= run.end) run.finish()
  }
}

let finished: Promise<void> | undefined

serveCommands({
  /** Opens `count` connections and attaches each to `session`; with `ports` (cluster nodes), round robin over them. */
  connect: async (args: { port: number, count: number, session: string, ports?: number[] }) => {
    const ports = args.ports ?? [args.port]
    const opened = await Promise.all(Array.from({ length: args.count }, async (_, i) => await attached(ports[i % ports.length]!, args.session)))
    clients = opened.map(socket => new FanoutClient(socket, progress))
    return clients.length
  },
  /** Gets ready to count a run (before the producer starts). */
  arm: (args: { firstIndex: number, messages: number, updatesPerMessage: number, ackEvery: number }) => {
    const total = args.messages * args.updatesPerMessage * clients.length
    for (const c of clients) c.received = 0
    finished = new Promise<void>(resolve => {
      current = {
        firstIndex: args.firstIndex,
        end: args.firstIndex + args.messages,
        updatesPerMessage: args.updatesPerMessage,
        ackEvery: args.ackEvery,
        latencies: new Float64Array(Math.min(total, 4_000_000)),
        samples: 0,
        bytes: 0,
        reads: 0,
        firstProducedNs: 0n,
        lastArrivalNs: 0n,
        acked: args.firstIndex,
        finish: resolve
      }
    })
  },
  /** Resolves once every client has seen every message of the armed run. */
  result: async () => {
    await finished
    const run = current!
    current = undefined
    const deliveries = clients.reduce((sum, c) => sum + c.received, 0)
    const sorted = run.latencies.subarray(0, run.samples).sort()
    return {
      deliveries,
      seconds: Number(run.lastArrivalNs - run.firstProducedNs) / 1e9,
      p50: pick(sorted, 50),
      p99: pick(sorted, 99),
      max: sorted[sorted.length - 1] ?? NaN,
      bytes: run.bytes,
      reads: run.reads
    }
  },
  /** A marked line as read, once one has been. */
  sample: () => sampleLine ?? null,
  disconnect: async () => {
    await Promise.all(clients.map(async c => await new Promise<void>(resolve => { c.socket.once('close', () => { resolve() }); c.socket.end() })))
    clients = []
  }
}, {}, async () => { for (const c of clients) c.socket.destroy() })

function pick (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** A connection attached to the session: the attach answer has arrived. */
async function attached (port: number, session: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.setNoDelay(true)
  socket.write(JSON.stringify({ '@type': 'broker.attachSession', session, '@extra': 'attach' }) + '\n')
  let text = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8')
      for (const line of text.split('\n')) {
        if (!line.includes('"@extra":"attach"')) continue
        socket.off('data', onData)
        if (line.includes('"broker.attached"')) resolve()
        else reject(new Error(`attach failed: ${line}`))
        return
      }
    }
    socket.on('data', onData)
  })
  return socket
}

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
  /**
   * Bytes of the complete lines in the reads that held marked lines (their
   * newlines included): in a fan-out run every line is a marked one.
   */
  bytes: number
  /** Reads (data events) that held at least one marked line: how batched the stream came. */
  reads: number
  /**
   * process.hrtime ns as numbers: exact below 2^53 ns (104 days of uptime),
   * and within a microsecond long after that.
   */
  firstProducedNs: number
  lastArrivalNs: number
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

  /**
   * One native search per line: the marker (the line's end is not looked
   * for; only the last newline of the read is, so what follows it waits for
   * the next read). Finding each line's newline as well, and reading the
   * production time as a BigInt from a string, was most of this process's CPU
   * at 400,000 deliveries a second, CPU that the producer's machine shares.
   */
  private scan (chunk: Buffer): void {
    const now = Number(process.hrtime.bigint())
    let data = chunk
    if (this.partial !== undefined) {
      data = Buffer.concat([this.partial, chunk])
      this.partial = undefined
    }
    const complete = data.lastIndexOf(10) + 1
    const run = current
    let marked = 0
    for (let at = data.indexOf(MARKER); at !== -1 && at < complete; at = data.indexOf(MARKER, at)) {
      at += MARKER.length
      let index = 0
      // Bounded as well: a marker without its colons is never read past the read's last newline.
      while (at < complete && data[at] !== 58) index = index * 10 + (data[at++]! - 48)
      at++
      let produced = 0
      while (at < complete && data[at] !== 58) produced = produced * 10 + (data[at++]! - 48)
      if (run === undefined || index < run.firstIndex || index >= run.end) continue
      if (index === run.firstIndex && (run.firstProducedNs === 0 || produced < run.firstProducedNs)) run.firstProducedNs = produced
      if (run.samples < run.latencies.length) run.latencies[run.samples++] = (now - produced) / 1000
      marked++
      sampleLine ??= data.toString('utf8', data.lastIndexOf(10, at) + 1, data.indexOf(10, at))
    }
    if (marked > 0) {
      const r = run!
      this.received += marked
      r.reads++
      r.bytes += complete
      if (now > r.lastArrivalNs) r.lastArrivalNs = now
    }
    if (complete < data.length) this.partial = data === chunk ? Buffer.from(data.subarray(complete)) : data.subarray(complete)
    this.onLines(this)
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
        firstProducedNs: 0,
        lastArrivalNs: 0,
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
      seconds: (run.lastArrivalNs - run.firstProducedNs) / 1e9,
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

/**
 * 1. Round trip: testSquareInt on real TDLib, one client, one request at a
 * time. Direct tdl in this process vs the broker (a child process) over plain
 * TCP, TLS and WebSocket; the four paths take turns within every repeat, in
 * a rotating order, so drift on the machine hits them alike.
 */
import { BenchClient, createSession, attach, type Endpoint, type Transport } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { Child } from '../lib/child.js'
import { closeDirect, directClient } from '../lib/direct.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, ownCpuMicros, percentileSorted } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'
import { brokerOverhead } from '../lib/overhead.js'

const PATHS = ['direct', 'floor', 'tcp', 'tls', 'websocket'] as const
type Path = typeof PATHS[number]
const LABEL: Record<Path, string> = {
  direct: 'direct tdl (in-process)',
  floor: 'minimal proxy (floor)',
  tcp: 'broker, plain TCP',
  tls: 'broker, TLS',
  websocket: 'broker, WebSocket'
}

export async function runRoundTrip (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const samples = options.quick ? 2000 : 10_000
  const warmup = options.quick ? 500 : 2000
  const broker = await startBrokerProcess({ label: 'roundtrip', secure: true, settings: { allowed_requests: ['testSquareInt'] } })
  const proxy = new Child('minimal proxy', new URL('../child/minimal-proxy.js', import.meta.url))
  const open: BenchClient[] = []
  const connect = async (kind: Transport, endpoint: Endpoint): Promise<BenchClient> => {
    const c = await BenchClient.connect(kind, endpoint)
    open.push(c)
    return c
  }
  try {
    const direct = await directClient()
    const floor = await connect('tcp', { ports: { tcp: await proxy.call<number>('start') } })
    const tcp = await connect('tcp', broker)
    const tlsClient = await connect('tls', broker)
    const ws = await connect('websocket', broker)
    const session = await createSession(tcp)
    await attach(tlsClient, session)
    await attach(ws, session)
    const prefix = `{"@type":"testSquareInt","x":3,"@session":"${session}"`
    const cpuOf: Record<Path, () => Promise<number>> = {
      direct: async () => ownCpuMicros(),
      floor: async () => await proxy.cpuMicros(),
      tcp: async () => await broker.child.cpuMicros(),
      tls: async () => await broker.child.cpuMicros(),
      websocket: async () => await broker.child.cpuMicros()
    }
    const once: Record<Path, () => Promise<unknown>> = {
      direct: async () => await direct.invoke({ _: 'testSquareInt', x: 3 }),
      floor: async () => await floor.requestPrefix(prefix),
      tcp: async () => await tcp.requestPrefix(prefix),
      tls: async () => await tlsClient.requestPrefix(prefix),
      websocket: async () => await ws.requestPrefix(prefix)
    }
    for (const path of PATHS) {
      const check = await once[path]() as { value?: unknown }
      if (check.value !== 9) throw new Error(`testSquareInt over ${path} answered ${JSON.stringify(check)}`)
    }

    const r = new Repeats()
    for (let rep = 0; rep < options.repeats; rep++) {
      const order = PATHS.map((_, i) => PATHS[(i + rep) % PATHS.length]!)
      const p50: Partial<Record<Path, number>> = {}
      for (const path of order) {
        let cpuStart = 0
        const lat = await sequentialLatency(once[path], warmup, samples, async () => { cpuStart = await cpuOf[path]() })
        r.add(`${path}.cpu`, (await cpuOf[path]() - cpuStart) / samples)
        p50[path] = percentileSorted(lat, 50)
        r.add(`${path}.p50`, p50[path])
        r.add(`${path}.p99`, percentileSorted(lat, 99))
      }
      for (const path of PATHS) {
        if (path === 'direct') continue
        r.add(`${path}.ratio`, p50[path]! / p50.direct!)
        r.add(`${path}.overFloor`, p50[path]! - p50.floor!)
      }
      log(`  round trip repeat ${rep + 1}: ${PATHS.map(p => `${p} p50 ${num(p50[p]!)} µs`).join(', ')}`)
    }
    for (let rep = 0; rep < options.repeats; rep++) {
      for (const [batch, micros] of await brokerOverhead(options.quick ? 20_000 : 100_000, [1, 100])) r.add(`own.${batch}`, micros)
    }
    await closeDirect(direct)

    const rows = PATHS.map(path => [
      LABEL[path], fmt(r.get(`${path}.p50`)), fmt(r.get(`${path}.p99`)),
      path === 'direct' ? '1' : fmt(r.get(`${path}.ratio`), 2),
      path === 'direct' || path === 'floor' ? '' : fmt(r.get(`${path}.overFloor`)),
      fmt(r.get(`${path}.cpu`))
    ])
    const tcpRatio = r.get('tcp.ratio')
    return {
      part: 'roundtrip',
      markdown: [
        '## 1. Round trip (testSquareInt, one request at a time)',
        '',
        `One client sends \`testSquareInt\` and waits for the answer before sending the next: ${samples.toLocaleString('en-US')} round trips per path per repeat ` +
        `after ${warmup.toLocaleString('en-US')} warm-up ones, ${options.repeats} repeats, the paths taking turns in a rotating order. ` +
        'Direct: a bare tdl client in the benchmark process. Broker: the broker in a child process (built as `tdbroker start` builds it), ' +
        'the client in the benchmark process, one connection per transport attached to one session; TLS with the pinned self-signed pair ' +
        '(siptg\'s model, client certificate checked), WebSocket over plain HTTP on loopback. Minimal proxy: tdl behind a TCP socket in a child process ' +
        '(bench/child/minimal-proxy.ts: split lines, parse, invoke, stringify, write; nothing else), the least any broker in its own process can cost; ' +
        'the last column is what the broker adds on top of it. Latencies in microseconds; ratio = p50 / direct p50 of the same repeat.',
        '',
        table(['path', 'p50 µs', 'p99 µs', 'p50 ratio to direct', 'p50 above the minimal proxy µs', 'serving process CPU µs/request'], rows),
        '',
        'The last column: CPU time of the process that serves the request (every thread) per round trip, over the measured ones: the broker process for the three ' +
        'broker rows, the proxy process, and for direct the benchmark process itself. It depends less than latency on other load on the machine.',
        '',
        'The broker\'s own code, without sockets or TDLib (bench/lib/overhead.ts: an in-process broker on a backend that answers at once, request lines ' +
        'handed straight to the connection): CPU per request ' + `${fmt(r.get('own.1'), 2)} µs one at a time, ${fmt(r.get('own.100'), 2)} µs with 100 handed over at once ` +
        '(parsing, policy, resolution and formatting steps with nothing to do, chat scope, session dispatch, the answer\'s serialisation).'
      ].join('\n'),
      targets: [{
        name: 'broker round trip p50 over plain TCP ≤ 1.5 × direct tdl p50',
        measured: `${num(tcpRatio.median, 2)} × (median of the per-repeat ratios, min ${num(tcpRatio.min, 2)}, max ${num(tcpRatio.max, 2)}); ` +
          `p50 ${num(r.get('tcp.p50').median)} µs against ${num(r.get('direct.p50').median)} µs; the minimal proxy: ${num(r.get('floor.ratio').median, 2)} ×`,
        pass: tcpRatio.median <= 1.5
      }],
      charts: [{
        title: 'Round trip p50 (µs, lower is better)',
        unit: 'µs',
        groups: [{ label: 'testSquareInt', bars: PATHS.map(path => ({ series: LABEL[path], value: r.get(`${path}.p50`) })) }]
      }]
    }
  } finally {
    for (const c of open) c.close()
    await proxy.stop()
    await broker.stop()
  }
}

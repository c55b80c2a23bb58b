/**
 * 1. Round trip: testSquareInt on real TDLib, one request at a time, on the
 * three sides of lib/sides.ts (direct tdl, the minimal proxy, the broker over
 * plain TCP) plus the broker over TLS and WebSocket. Every round is made of
 * short blocks in which every path runs, in an order that rotates from block
 * to block, and every ratio is taken within one round.
 */
import type { BenchClient } from '../lib/client.js'
import { loadAverage } from '../lib/machine.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { startSides } from '../lib/sides.js'
import { Repeats, percentileSorted } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'
import { brokerOverhead } from '../lib/overhead.js'

/** Blocks per round: every path runs once per block, samples / BLOCKS round trips after BLOCK_WARMUP unmeasured ones. */
const BLOCKS = 10
const BLOCK_WARMUP = 50

const PATHS = ['direct', 'proxy', 'broker', 'tls', 'websocket'] as const
type Path = typeof PATHS[number]
const LABEL: Record<Path, string> = {
  direct: 'direct tdl (in-process)',
  proxy: 'minimal proxy (floor)',
  broker: 'broker, plain TCP',
  tls: 'broker, TLS',
  websocket: 'broker, WebSocket'
}

export async function runRoundTrip (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const samples = options.quick ? 1500 : 4000
  const warmup = options.quick ? 300 : 1000
  const sides = await startSides('roundtrip', true)
  try {
    const socket: Partial<Record<Path, BenchClient>> = {
      proxy: await sides.connect('proxy'),
      broker: await sides.connect('broker', 'tcp'),
      tls: await sides.connect('broker', 'tls'),
      websocket: await sides.connect('broker', 'websocket')
    }
    const once = (path: Path): () => Promise<unknown> => path === 'direct'
      ? async () => await sides.direct.invoke({ _: 'testSquareInt', x: 3 })
      : async () => await socket[path]!.requestPrefix(sides.prefix)
    const serving = (path: Path): 'direct' | 'proxy' | 'broker' => path === 'direct' || path === 'proxy' ? path : 'broker'
    for (const path of PATHS) {
      const check = await once(path)() as { value?: unknown }
      if (check.value !== 9) throw new Error(`testSquareInt over ${path} answered ${JSON.stringify(check)}`)
    }

    // Warm every path up once; each block then only wakes it again.
    for (const path of PATHS) await sequentialLatency(once(path), warmup, 0)
    const r = new Repeats()
    for (let round = 0; round < options.repeats; round++) {
      const lat: Record<Path, number[]> = { direct: [], proxy: [], broker: [], tls: [], websocket: [] }
      const cpuSum: Record<Path, number> = { direct: 0, proxy: 0, broker: 0, tls: 0, websocket: 0 }
      r.add('load', loadAverage())
      // The paths take turns in short blocks, the order rotating from block to block, so that what the machine
      // does meanwhile falls on every path of the round alike.
      for (let block = 0; block < BLOCKS; block++) {
        for (let i = 0; i < PATHS.length; i++) {
          const path = PATHS[(i + block + round) % PATHS.length]!
          let cpuStart = 0
          lat[path].push(...await sequentialLatency(once(path), BLOCK_WARMUP, samples / BLOCKS, async () => { cpuStart = await sides.cpu(serving(path)) }))
          cpuSum[path] += await sides.cpu(serving(path)) - cpuStart
        }
      }
      const p50: Partial<Record<Path, number>> = {}
      const cpu: Partial<Record<Path, number>> = {}
      for (const path of PATHS) {
        const sorted = lat[path].sort((a, b) => a - b)
        cpu[path] = cpuSum[path] / samples
        p50[path] = percentileSorted(sorted, 50)
        r.add(`${path}.cpu`, cpu[path])
        r.add(`${path}.p50`, p50[path])
        r.add(`${path}.p99`, percentileSorted(sorted, 99))
      }
      for (const path of PATHS) {
        if (path === 'direct') continue
        r.add(`${path}.toDirect`, p50[path]! / p50.direct!)
        if (path === 'proxy') continue
        r.add(`${path}.toProxy`, p50[path]! / p50.proxy!)
        r.add(`${path}.cpuToProxy`, cpu[path]! / cpu.proxy!)
      }
      log(`  round trip, round ${round + 1} (load ${num(loadAverage(), 2)}): ${PATHS.map(p => `${p} p50 ${num(p50[p]!)} µs, ${num(cpu[p]!)} µs CPU`).join('; ')}`)
    }
    for (let rep = 0; rep < Math.min(3, options.repeats); rep++) {
      for (const [batch, micros] of await brokerOverhead(options.quick ? 20_000 : 100_000, [1, 100])) r.add(`own.${batch}`, micros)
    }

    const toProxy = (path: Path, name: string): string => path === 'direct' ? '' : path === 'proxy' ? '1' : fmt(r.get(`${path}.${name}`), 2)
    const rows = PATHS.map(path => [
      LABEL[path], fmt(r.get(`${path}.p50`)), fmt(r.get(`${path}.p99`)),
      path === 'direct' ? '1' : fmt(r.get(`${path}.toDirect`), 2), toProxy(path, 'toProxy'),
      fmt(r.get(`${path}.cpu`)), toProxy(path, 'cpuToProxy')
    ])
    const ratio = r.get('broker.toProxy')
    const load = r.get('load')
    return {
      part: 'roundtrip',
      markdown: [
        '## 1. Round trip (testSquareInt, one request at a time)',
        '',
        `One client sends \`testSquareInt\` and waits for the answer before sending the next: ${samples.toLocaleString('en-US')} round trips per path per round, ` +
        `${options.repeats} rounds, after ${warmup.toLocaleString('en-US')} warm-up ones per path. A round is ${BLOCKS} blocks; in every block each path runs ` +
        `${(samples / BLOCKS).toLocaleString('en-US')} round trips after ${BLOCK_WARMUP} unmeasured ones, in an order that rotates from block to block ` +
        '(direct, proxy, broker, TLS, WebSocket; then proxy, broker, …), so that what the machine does meanwhile falls on every path alike. ' +
        'A path\'s p50 and p99 are over all its round trips of the round, every ratio is taken within one round, then reported as the median and range over the rounds. ' +
        `1-minute load average at the start of the rounds: ${fmt(load, 2)}.`,
        '',
        'Every side has one TDLib client in the same state: `setTdlibParameters` as the broker sends it (src/session/tdlib-parameters.ts), network off, ' +
        '`authorizationStateWaitPhoneNumber` (checked before measuring). Direct: tdl in the benchmark process. Minimal proxy: tdl behind a TCP socket in a ' +
        'child process (bench/child/minimal-proxy.ts: split lines, parse, invoke, stringify, write; no sessions, policy or limits), the floor of any broker ' +
        'in its own process. Broker: the broker in a child process, built as `tdbroker start` builds it; one connection per transport attached to one session; ' +
        'TLS with a pinned self-signed pair and a client certificate, WebSocket over plain HTTP. All on loopback; the client is in the benchmark process.',
        '',
        table(['path', 'p50 µs', 'p99 µs', 'p50 / direct', 'p50 / minimal proxy', 'serving process CPU µs/request', 'CPU / minimal proxy'], rows),
        '',
        'CPU: user and system time of the process that serves the request (every thread: the main thread, tdl\'s receive thread, TDLib\'s threads) over the ' +
        'measured round trips, divided by their number: the broker process for the three broker rows, the proxy process, and for direct the benchmark process ' +
        'itself (so it includes the client\'s side). Not included anywhere: the client\'s CPU for the socket paths, the kernel\'s loopback work charged to the other process.',
        '',
        'The broker\'s own code, without sockets or TDLib (bench/lib/overhead.ts: an in-process broker on a backend that answers at once, request lines ' +
        'handed straight to the connection): CPU per request ' + `${fmt(r.get('own.1'), 2)} µs one at a time, ${fmt(r.get('own.100'), 2)} µs with 100 handed over at once.`
      ].join('\n'),
      targets: [{
        name: 'round trip p50, broker / minimal proxy ≤ 1.05',
        before: '1.06–1.28',
        measured: `${fmt(ratio, 2)} over ${options.repeats} rounds (p50 ${num(r.get('broker.p50').median)} µs against ${num(r.get('proxy.p50').median)} µs; direct ${num(r.get('direct.p50').median)} µs); load ${fmt(load, 2)}`,
        pass: ratio.median <= 1.05
      }],
      charts: [{
        title: 'Round trip p50 (µs, lower is better)',
        unit: 'µs',
        groups: [{ label: 'testSquareInt', bars: PATHS.map(path => ({ series: LABEL[path], value: r.get(`${path}.p50`) })) }]
      }],
      figures: r.all()
    }
  } finally {
    await sides.stop()
  }
}

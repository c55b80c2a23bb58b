/**
 * 7. Metrics on against off: two brokers in child processes on real TDLib,
 * the same settings but for an `admin` section (the admin listener, and with
 * it the metrics step and counters; without it the broker counts nothing).
 * Every round starts a fresh pair (in a rotating order, so neither side keeps
 * a lucky process) and measures both, taking turns in short blocks: round
 * trip p50 (one request at a time), throughput (100 in flight), and the
 * broker process's CPU per request; then the broker's own code in this process on
 * a backend that answers at once (lib/overhead.ts), on and off, where the
 * cost is not lost in TDLib's. Each round gives an on/off ratio; the report
 * is the median and range of those ratios. Nobody scrapes while measuring; a
 * scrape after each round checks that the counters really moved.
 */
import net from 'node:net'
import { BenchClient, createSession, type Endpoint } from '../lib/client.js'
import { startBrokerProcess, type BrokerProcess } from '../lib/broker-process.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, percentileSorted } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'
import { brokerOverhead } from '../lib/overhead.js'

const SIDES = ['off', 'on'] as const
type Side = typeof SIDES[number]
const IN_FLIGHT = 100
/** Blocks per round: each side runs 1/BLOCKS of the requests in every block, after BLOCK_WARMUP unmeasured ones. */
const BLOCKS = 10
const BLOCK_WARMUP = 50
/** Rounds at least: the ratios are small against the machine's noise, so more rounds than other parts. */
const MIN_ROUNDS = 7

/** A port nobody listens on now (the broker child reports only its protocol ports, not the admin one). */
async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

/** `total` requests with `inFlight` of them outstanding at any time; answers per second. */
async function answersPerSecond (call: () => Promise<unknown>, total: number, inFlight: number): Promise<number> {
  let left = total
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (left > 0) {
      left--
      await call()
    }
  }))
  return total / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** tdbroker_requests_total summed over its series, from the admin listener. */
async function requestsCounted (port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return text.split('\n').filter(l => l.startsWith('tdbroker_requests_total{')).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

export async function runMetrics (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const rounds = Math.max(options.repeats, options.quick ? 3 : MIN_ROUNDS)
  const samples = options.quick ? 2000 : 5000
  const warmup = options.quick ? 500 : 1000
  const total = options.quick ? 5000 : 20_000
  const inProcess = options.quick ? 10_000 : 50_000
  const r = new Repeats()
  for (let round = 0; round < rounds; round++) {
    const measured = await processRound(round, { samples, warmup, total })
    const on = measured.on
    const off = measured.off
    for (const side of SIDES) {
      r.add(`${side}.p50`, measured[side].p50)
      r.add(`${side}.rate`, measured[side].rate)
      r.add(`${side}.cpu`, measured[side].cpu)
    }
    // The broker's own code, in this process: the same two settings, in a rotating order.
    const own: Partial<Record<Side, number>> = {}
    for (let i = 0; i < SIDES.length; i++) {
      const side = SIDES[(i + round) % SIDES.length]!
      own[side] = (await brokerOverhead(inProcess, [1], side === 'on' ? { admin: { host: '127.0.0.1', port: 0 } } : {})).get(1)!
      r.add(`${side}.own`, own[side])
    }
    // Each ratio is "on costs this much of off": above 1 means slower with metrics.
    r.add('latency.ratio', on.p50 / off.p50)
    r.add('throughput.ratio', off.rate / on.rate)
    r.add('cpu.ratio', on.cpu / off.cpu)
    r.add('own.ratio', own.on! / own.off!)
    r.add('own.extra', own.on! - own.off!)
    log(`  metrics round ${round + 1}: p50 off ${num(off.p50)} µs, on ${num(on.p50)} µs; ${IN_FLIGHT} in flight off ${num(off.rate, 0)}/s, on ${num(on.rate, 0)}/s; ` +
      `broker CPU off ${num(off.cpu, 2)}, on ${num(on.cpu, 2)} µs/request; own code off ${num(own.off!, 2)}, on ${num(own.on!, 2)} µs/request`)
  }

  const pct = (name: string): string => {
    const s = r.get(name)
    const p = (v: number): string => `${v >= 1 ? '+' : ''}${num((v - 1) * 100, 1)} %`
    return `${p(s.median)} (${p(s.min)} to ${p(s.max)})`
  }
  const lat = r.get('latency.ratio')
  const thr = r.get('throughput.ratio')
  return {
    part: 'metrics',
    markdown: [
      '## 7. Metrics on against off',
      '',
      'Two brokers in child processes on real TDLib, the same settings except that one has an `admin` section (the admin listener on loopback, ' +
      'so the metrics step times and counts every request and the connections count updates and disconnects); without it the broker counts nothing. ' +
      `${rounds} rounds; every round starts a fresh pair (in a rotating order). Both warm up with ${warmup.toLocaleString('en-US')} \`testSquareInt\` ` +
      `one at a time, then take turns in ${BLOCKS} blocks, the order rotating from block to block: in each block a side answers ${BLOCK_WARMUP} unmeasured ` +
      `requests, ${(samples / BLOCKS).toLocaleString('en-US')} one at a time (p50 round trip over the round's) and ${(total / BLOCKS).toLocaleString('en-US')} ` +
      `with ${IN_FLIGHT} in flight (answers per second over the round's), over one plain TCP connection each; "broker CPU" is the broker process's CPU time ` +
      '(every thread, TDLib\'s included) over the measured requests, per request. "Own code" is the broker in the benchmark process on a backend that answers at once ' +
      `(bench/lib/overhead.ts, ${inProcess.toLocaleString('en-US')} requests one at a time), on and off: the metrics' cost without sockets and TDLib around it. ` +
      'Each round gives an on/off ratio, shown as how much slower "on" was (negative: faster, which is noise). Nobody scrapes during the measurement ' +
      '(a Prometheus scrape every 15 s is not on the request path); a scrape after each round checks that the "on" broker counted every request.',
      '',
      table(['figure', 'metrics off', 'metrics on', 'on against off: median (range) of the per-round ratios'], [
        ['round trip p50 µs', fmt(r.get('off.p50')), fmt(r.get('on.p50')), pct('latency.ratio')],
        [`throughput, ${IN_FLIGHT} in flight, answers/s`, fmt(r.get('off.rate'), 0), fmt(r.get('on.rate'), 0), pct('throughput.ratio')],
        ['broker CPU µs/request', fmt(r.get('off.cpu'), 2), fmt(r.get('on.cpu'), 2), pct('cpu.ratio')],
        ['own code, CPU µs/request (in-process)', fmt(r.get('off.own'), 2), fmt(r.get('on.own'), 2), `${pct('own.ratio')}; ${fmt(r.get('own.extra'), 2)} µs more`]
      ])
    ].join('\n'),
    targets: [{
      name: 'round trip and throughput with metrics on at most 3% slower than off',
      measured: `round trip p50 ${pct('latency.ratio')}, throughput ${pct('throughput.ratio')}, broker CPU per request ${pct('cpu.ratio')} ` +
        `(median and range over ${rounds} rounds); the broker's own code ${num(r.get('own.extra').median, 2)} µs more per request in-process`,
      pass: lat.median <= 1.03 && thr.median <= 1.03
    }],
    charts: [{
      title: 'Metrics on against off: round trip p50 (µs, lower is better)',
      unit: 'µs',
      groups: [{ label: 'testSquareInt', bars: SIDES.map(side => ({ series: `metrics ${side}`, value: r.get(`${side}.p50`) })) }]
    }]
  }
}

interface Measured { p50: number, rate: number, cpu: number }

/** One round on a fresh pair of broker processes, started and measured in a rotating order. */
async function processRound (round: number, n: { samples: number, warmup: number, total: number }): Promise<Record<Side, Measured>> {
  const adminPort = await freePort()
  const settings: Record<Side, Record<string, unknown>> = {
    off: { allowed_requests: ['testSquareInt'] },
    on: { allowed_requests: ['testSquareInt'], admin: { host: '127.0.0.1', port: adminPort } }
  }
  const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]!)
  const brokers: Partial<Record<Side, BrokerProcess>> = {}
  const clients: BenchClient[] = []
  try {
    const call: Partial<Record<Side, () => Promise<unknown>>> = {}
    for (const side of order) {
      const broker = brokers[side] = await startBrokerProcess({ label: `metrics-${side}`, settings: settings[side] })
      const client = await BenchClient.connect('tcp', broker as Endpoint)
      clients.push(client)
      const prefix = `{"@type":"testSquareInt","x":3,"@session":"${await createSession(client)}"`
      call[side] = async () => await client.requestPrefix(prefix)
      const check = await call[side]() as { value?: unknown }
      if (check.value !== 9) throw new Error(`testSquareInt with metrics ${side} answered ${JSON.stringify(check)}`)
    }
    const perRound = n.warmup + BLOCKS * BLOCK_WARMUP + n.samples + n.total
    const countedBefore = await requestsCounted(adminPort)
    for (const side of order) await sequentialLatency(call[side]!, n.warmup, 0)
    const lat: Record<Side, number[]> = { off: [], on: [] }
    const cpu: Record<Side, number> = { off: 0, on: 0 }
    const seconds: Record<Side, number> = { off: 0, on: 0 }
    // The two take turns in short blocks, the order rotating from block to block: drift falls on both alike.
    for (let block = 0; block < BLOCKS; block++) {
      for (let i = 0; i < SIDES.length; i++) {
        const side = SIDES[(i + block + round) % SIDES.length]!
        const child = brokers[side]!.child
        const once = call[side]!
        await sequentialLatency(once, BLOCK_WARMUP, 0)
        const cpuStart = await child.cpuMicros()
        lat[side].push(...await sequentialLatency(once, 0, n.samples / BLOCKS))
        seconds[side] += n.total / BLOCKS / await answersPerSecond(once, n.total / BLOCKS, IN_FLIGHT)
        cpu[side] += await child.cpuMicros() - cpuStart
      }
    }
    const measured: Partial<Record<Side, Measured>> = {}
    for (const side of SIDES) {
      const sorted = lat[side].sort((a, b) => a - b)
      measured[side] = { p50: percentileSorted(sorted, 50), rate: n.total / seconds[side], cpu: cpu[side] / (n.samples + n.total) }
    }
    const counted = await requestsCounted(adminPort) - countedBefore
    if (counted !== perRound) throw new Error(`the metrics-on broker counted ${counted} requests in a round of ${perRound}`)
    return measured as Record<Side, Measured>
  } finally {
    for (const c of clients) c.close()
    for (const side of SIDES) await brokers[side]?.stop()
  }
}

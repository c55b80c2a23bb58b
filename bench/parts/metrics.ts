/**
 * 7. Metrics on against off: two brokers in child processes on real TDLib,
 * the same settings but for an `admin` section (the admin listener, and with
 * it the metrics step and counters; without it the broker counts nothing).
 * In every round both are measured, in a rotating order: round trip p50
 * (one request at a time), throughput (100 in flight), and the broker
 * process's CPU per request. Each round gives an on/off ratio; the report is
 * the median and range of those ratios. Nobody scrapes while measuring; a
 * scrape after each round checks that the counters really moved.
 */
import net from 'node:net'
import { BenchClient, createSession, type Endpoint } from '../lib/client.js'
import { startBrokerProcess, type BrokerProcess } from '../lib/broker-process.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, percentileSorted } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'

const SIDES = ['off', 'on'] as const
type Side = typeof SIDES[number]
const IN_FLIGHT = 100
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
  const adminPort = await freePort()
  const settings = { allowed_requests: ['testSquareInt'] }
  const brokers: Partial<Record<Side, BrokerProcess>> = {}
  const clients: BenchClient[] = []
  try {
    brokers.off = await startBrokerProcess({ label: 'metrics-off', settings })
    brokers.on = await startBrokerProcess({ label: 'metrics-on', settings: { ...settings, admin: { host: '127.0.0.1', port: adminPort } } })
    const call: Partial<Record<Side, () => Promise<unknown>>> = {}
    for (const side of SIDES) {
      const client = await BenchClient.connect('tcp', brokers[side] as Endpoint)
      clients.push(client)
      const prefix = `{"@type":"testSquareInt","x":3,"@session":"${await createSession(client)}"`
      call[side] = async () => await client.requestPrefix(prefix)
      const check = await call[side]() as { value?: unknown }
      if (check.value !== 9) throw new Error(`testSquareInt with metrics ${side} answered ${JSON.stringify(check)}`)
    }

    const r = new Repeats()
    for (let round = 0; round < rounds; round++) {
      const measured: Partial<Record<Side, { p50: number, rate: number, cpu: number }>> = {}
      const countedBefore = await requestsCounted(adminPort)
      for (let i = 0; i < SIDES.length; i++) {
        const side = SIDES[(i + round) % SIDES.length]!
        const child = brokers[side]!.child
        const once = call[side]!
        const cpuStart = await child.cpuMicros()
        const lat = await sequentialLatency(once, warmup, samples)
        const rate = await answersPerSecond(once, total, IN_FLIGHT)
        const cpu = (await child.cpuMicros() - cpuStart) / (warmup + samples + total)
        measured[side] = { p50: percentileSorted(lat, 50), rate, cpu }
        r.add(`${side}.p50`, measured[side].p50)
        r.add(`${side}.rate`, rate)
        r.add(`${side}.cpu`, cpu)
      }
      const counted = await requestsCounted(adminPort) - countedBefore
      if (counted !== warmup + samples + total) throw new Error(`the metrics-on broker counted ${counted} requests in a round of ${warmup + samples + total}`)
      const on = measured.on!
      const off = measured.off!
      // Each ratio is "on costs this much of off": above 1 means slower with metrics.
      r.add('latency.ratio', on.p50 / off.p50)
      r.add('throughput.ratio', off.rate / on.rate)
      r.add('cpu.ratio', on.cpu / off.cpu)
      log(`  metrics round ${round + 1}: p50 off ${num(off.p50)} µs, on ${num(on.p50)} µs; ${IN_FLIGHT} in flight off ${num(off.rate, 0)}/s, on ${num(on.rate, 0)}/s; ` +
        `CPU off ${num(off.cpu, 2)} µs/request, on ${num(on.cpu, 2)} µs/request`)
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
        `Two brokers in child processes on real TDLib, the same settings except that one has an \`admin\` section (the admin listener on loopback, ` +
        'so the metrics step times and counts every request and the connections count updates and disconnects); without it the broker counts nothing. ' +
        `${rounds} rounds; in every round both brokers, in a rotating order, answer ${samples.toLocaleString('en-US')} \`testSquareInt\` one at a time ` +
        `(after ${warmup.toLocaleString('en-US')} warm-up ones; p50 round trip) and then ${total.toLocaleString('en-US')} with ${IN_FLIGHT} in flight (answers per second), ` +
        'over one plain TCP connection each; the CPU column is the broker process\'s CPU time over the whole round per request. ' +
        'Each round gives an on/off ratio, shown as how much slower "on" was (negative: faster, i.e. noise). Nobody scrapes during the measurement ' +
        '(a Prometheus scrape every 15 s is not on the request path); a scrape after each round checks that the "on" broker counted every request.',
        '',
        table(['figure', 'metrics off', 'metrics on', 'on against off: median (range) of the per-round ratios'], [
          ['round trip p50 µs', fmt(r.get('off.p50')), fmt(r.get('on.p50')), pct('latency.ratio')],
          [`throughput, ${IN_FLIGHT} in flight, answers/s`, fmt(r.get('off.rate'), 0), fmt(r.get('on.rate'), 0), pct('throughput.ratio')],
          ['broker CPU µs/request', fmt(r.get('off.cpu'), 2), fmt(r.get('on.cpu'), 2), pct('cpu.ratio')]
        ])
      ].join('\n'),
      targets: [{
        name: 'round trip and throughput with metrics on at most 3% slower than off',
        measured: `round trip p50 ${pct('latency.ratio')}, throughput ${pct('throughput.ratio')}, broker CPU per request ${pct('cpu.ratio')} (median and range over ${rounds} rounds)`,
        pass: lat.median <= 1.03 && thr.median <= 1.03
      }],
      charts: [{
        title: 'Metrics on against off: round trip p50 (µs, lower is better)',
        unit: 'µs',
        groups: [{ label: 'testSquareInt', bars: SIDES.map(side => ({ series: `metrics ${side}`, value: r.get(`${side}.p50`) })) }]
      }]
    }
  } finally {
    for (const c of clients) c.close()
    await brokers.on?.stop()
    await brokers.off?.stop()
  }
}

/**
 * 2. Throughput: testSquareInt with 1, 10, 100 and 1000 requests in flight
 * per connection, over one connection and over ten (all attached to one
 * session), against direct tdl with the same total in flight. Broker and
 * direct alternate within every repeat.
 */
import { BenchClient, attach, createSession } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { Child } from '../lib/child.js'
import { closeDirect, directClient, type TdlClient } from '../lib/direct.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, ownCpuMicros, sleep } from '../lib/stats.js'

const IN_FLIGHT = [1, 10, 100, 1000] as const
const CONNECTIONS = [1, 10] as const

const SIDES = ['broker', 'floor', 'direct'] as const
type Side = typeof SIDES[number]

export async function runThroughput (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const warmupMs = options.quick ? 150 : 250
  const durationMs = options.quick ? 500 : 1250
  const broker = await startBrokerProcess({ label: 'throughput', settings: { allowed_requests: ['testSquareInt'] } })
  const proxy = new Child('minimal proxy', new URL('../child/minimal-proxy.js', import.meta.url))
  const clients: BenchClient[] = []
  const floors: BenchClient[] = []
  let direct: TdlClient | undefined
  try {
    direct = await directClient()
    const proxyPort = await proxy.call<number>('start')
    for (let i = 0; i < 10; i++) {
      clients.push(await BenchClient.connect('tcp', broker))
      floors.push(await BenchClient.connect('tcp', { ports: { tcp: proxyPort } }))
    }
    const session = await createSession(clients[0]!)
    for (const c of clients.slice(1)) await attach(c, session)
    const prefix = `{"@type":"testSquareInt","x":3,"@session":"${session}"`
    const d = direct
    const over = (pool: BenchClient[], conns: number, k: number): Array<() => Promise<unknown>> =>
      pool.slice(0, conns).flatMap(c => Array.from({ length: k }, () => async () => await c.requestPrefix(prefix)))
    const r = new Repeats()
    for (let rep = 0; rep < options.repeats; rep++) {
      for (const conns of CONNECTIONS) {
        for (const k of IN_FLIGHT) {
          const key = `${conns}x${k}`
          const run: Record<Side, () => Promise<{ rate: number, cpuPerRequest: number }>> = {
            broker: async () => await rate(over(clients, conns, k), warmupMs, durationMs, async () => await broker.child.cpuMicros()),
            floor: async () => await rate(over(floors, conns, k), warmupMs, durationMs, async () => await proxy.cpuMicros()),
            direct: async () => await rate(Array.from({ length: conns * k }, () => async () => await d.invoke({ _: 'testSquareInt', x: 3 })), warmupMs, durationMs, async () => ownCpuMicros())
          }
          // The sides take turns going first, so warm-up or drift does not always favour one.
          const measured: Partial<Record<Side, number>> = {}
          for (let i = 0; i < SIDES.length; i++) {
            const side = SIDES[(i + rep) % SIDES.length]!
            const result = await run[side]()
            measured[side] = result.rate
            r.add(`${key}.${side}`, result.rate)
            r.add(`${key}.${side}.cpu`, result.cpuPerRequest)
          }
          r.add(`${key}.ratio`, measured.broker! / measured.direct!)
          r.add(`${key}.floorRatio`, measured.floor! / measured.direct!)
          log(`  throughput repeat ${rep + 1}, ${conns} connection(s) × ${k} in flight: broker ${num(measured.broker!, 0)}/s, minimal proxy ${num(measured.floor!, 0)}/s, direct ${num(measured.direct!, 0)}/s`)
        }
      }
    }
    const rows = CONNECTIONS.flatMap(conns => IN_FLIGHT.map(k => {
      const key = `${conns}x${k}`
      return [String(conns), String(k), (conns * k).toLocaleString('en-US'), fmt(r.get(`${key}.direct`), 0), fmt(r.get(`${key}.floor`), 0),
        fmt(r.get(`${key}.broker`), 0), fmt(r.get(`${key}.floorRatio`), 2), fmt(r.get(`${key}.ratio`), 2)]
    }))
    const t100 = r.get('1x100.ratio')
    const t100x10 = r.get('10x10.ratio')
    return {
      part: 'throughput',
      markdown: [
        '## 2. Throughput (testSquareInt, requests in flight)',
        '',
        `Each in-flight slot sends \`testSquareInt\` again as soon as its answer arrives; requests answered per second over ${durationMs} ms after ${warmupMs} ms of warm-up, ` +
        `${options.repeats} repeats, the three sides taking turns going first. Broker: the broker in a child process, 1 or 10 plain TCP connections from the benchmark process, ` +
        'all attached to one session, with the given number in flight on each connection. Minimal proxy: the same clients against bench/child/minimal-proxy.ts (see part 1). ' +
        'Direct: one tdl client in the benchmark process with the same total in flight. ' +
        'The machine has 2 cores, shared in the broker case by the client process, the broker\'s main thread, tdl\'s receive thread and TDLib\'s threads.',
        '',
        table(['connections', 'in flight per connection', 'total in flight', 'direct tdl req/s', 'minimal proxy req/s', 'broker req/s', 'minimal proxy / direct', 'broker / direct'], rows),
        '',
        'CPU time per request of the serving process (every thread: TDLib\'s, tdl\'s receive thread and the main thread), over the same windows. ' +
        'It depends less than requests per second on what else the machine is doing (not on how long a thread waited for a core), so it is the steadier ' +
        'measure of what each side costs. ' +
        'Direct: the benchmark process itself (its client side is a promise per request).',
        '',
        table(['connections', 'total in flight', 'direct tdl CPU µs/request', 'minimal proxy CPU µs/request', 'broker CPU µs/request'], CONNECTIONS.flatMap(conns => IN_FLIGHT.map(k => {
          const key = `${conns}x${k}`
          return [String(conns), (conns * k).toLocaleString('en-US'), fmt(r.get(`${key}.direct.cpu`)), fmt(r.get(`${key}.floor.cpu`)), fmt(r.get(`${key}.broker.cpu`))]
        })))
      ].join('\n'),
      targets: [{
        name: 'throughput with 100 in flight ≥ 0.9 × direct tdl',
        measured: `${num(t100.median, 2)} × over one connection (median of the per-repeat ratios, min ${num(t100.min, 2)}, max ${num(t100.max, 2)}; ` +
          `median rates ${num(r.get('1x100.broker').median, 0)} and ${num(r.get('1x100.direct').median, 0)} req/s); ` +
          `${num(t100x10.median, 2)} × with 100 in flight spread over 10 connections; the minimal proxy: ${num(r.get('1x100.floorRatio').median, 2)} ×`,
        pass: t100.median >= 0.9
      }],
      charts: CONNECTIONS.map(conns => ({
        title: `Throughput, ${conns} connection${conns > 1 ? 's' : ''} (requests/s, higher is better)`,
        unit: 'req/s',
        groups: IN_FLIGHT.map(k => ({
          label: `${k * conns} in flight`,
          bars: [
            { series: 'direct tdl', value: r.get(`${conns}x${k}.direct`) },
            { series: 'minimal proxy (floor)', value: r.get(`${conns}x${k}.floor`) },
            { series: 'broker, plain TCP', value: r.get(`${conns}x${k}.broker`) }
          ]
        }))
      }))
    }
  } finally {
    for (const c of [...clients, ...floors]) c.close()
    if (direct !== undefined) await closeDirect(direct)
    await proxy.stop()
    await broker.stop()
  }
}

/**
 * Runs every slot in a loop (call, then call again) and returns completions
 * per second over `durationMs`. Counting starts once `warmupMs` have passed
 * and every slot has completed a call (with thousands in flight, the first
 * burst takes a while to drain and is not the steady state). Waits for every
 * slot to finish its last call, so runs never overlap.
 */
async function rate (slots: ReadonlyArray<() => Promise<unknown>>, warmupMs: number, durationMs: number, cpu: () => Promise<number>): Promise<{ rate: number, cpuPerRequest: number }> {
  let counting = false
  let stop = false
  let done = 0
  let warmed = 0
  let allWarm: () => void = () => {}
  const warm = new Promise<void>(resolve => { allWarm = resolve })
  const loops = slots.map(async call => {
    await call()
    if (++warmed === slots.length) allWarm()
    while (!stop) {
      await call()
      if (counting) done++
    }
  })
  await Promise.all([sleep(warmupMs), warm])
  const cpuStart = await cpu()
  const start = process.hrtime.bigint()
  counting = true
  await sleep(durationMs)
  counting = false
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  const counted = done
  const cpuUsed = await cpu() - cpuStart
  stop = true
  await Promise.all(loops)
  return { rate: counted / elapsed, cpuPerRequest: cpuUsed / counted }
}

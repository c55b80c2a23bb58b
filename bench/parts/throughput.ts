/**
 * 2. Throughput: testSquareInt with 1 to 1,000 requests in flight, over one
 * connection and over ten, on the three sides of lib/sides.ts (direct tdl,
 * minimal proxy, broker over plain TCP) with the same total in flight. Every
 * round runs every configuration on every side, the sides in an order that
 * rotates from round to round; ratios are taken within a round.
 */
import type { BenchClient } from '../lib/client.js'
import { loadAverage } from '../lib/machine.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { startSides } from '../lib/sides.js'
import { Repeats, sleep } from '../lib/stats.js'

/** [connections, in flight per connection] */
const CONFIGS = [[1, 1], [1, 10], [1, 100], [1, 1000], [10, 10], [10, 100]] as const

const SIDES = ['direct', 'proxy', 'broker'] as const
type Side = typeof SIDES[number]

export async function runThroughput (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const warmupMs = options.quick ? 150 : 200
  const durationMs = options.quick ? 500 : 800
  const sides = await startSides('throughput', false)
  try {
    const pools: Record<'broker' | 'proxy', BenchClient[]> = { broker: [], proxy: [] }
    for (let i = 0; i < 10; i++) {
      pools.broker.push(await sides.connect('broker'))
      pools.proxy.push(await sides.connect('proxy'))
    }
    const slots = (side: Side, conns: number, k: number): Array<() => Promise<unknown>> => side === 'direct'
      ? Array.from({ length: conns * k }, () => async () => { answered(await sides.direct.invoke({ _: 'testSquareInt', x: 3 })) })
      : pools[side].slice(0, conns).flatMap(c => Array.from({ length: k }, () => async () => { answered(await c.requestPrefix(sides.prefix)) }))
    const r = new Repeats()
    for (let round = 0; round < options.repeats; round++) {
      r.add('load', loadAverage())
      const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]!)
      for (const [conns, k] of CONFIGS) {
        const key = `${conns}x${k}`
        const rate_: Partial<Record<Side, number>> = {}
        const cpu: Partial<Record<Side, number>> = {}
        for (const side of order) {
          const result = await rate(slots(side, conns, k), warmupMs, durationMs, async () => await sides.cpu(side))
          rate_[side] = result.rate
          cpu[side] = result.cpuPerRequest
          r.add(`${key}.${side}`, result.rate)
          r.add(`${key}.${side}.cpu`, result.cpuPerRequest)
        }
        r.add(`${key}.toDirect`, rate_.broker! / rate_.direct!)
        r.add(`${key}.proxyToDirect`, rate_.proxy! / rate_.direct!)
        r.add(`${key}.toProxy`, rate_.broker! / rate_.proxy!)
        r.add(`${key}.cpuToProxy`, cpu.broker! / cpu.proxy!)
        log(`  throughput round ${round + 1} (${order.join(' ')}), ${conns} connection(s) × ${k} in flight: ` +
          SIDES.map(side => `${side} ${num(rate_[side]!, 0)}/s ${num(cpu[side]!)} µs CPU`).join(', '))
      }
    }
    const rows = CONFIGS.map(([conns, k]) => {
      const key = `${conns}x${k}`
      return [String(conns), (conns * k).toLocaleString('en-US'), fmt(r.get(`${key}.direct`), 0), fmt(r.get(`${key}.proxy`), 0),
        fmt(r.get(`${key}.broker`), 0), fmt(r.get(`${key}.proxyToDirect`), 2), fmt(r.get(`${key}.toDirect`), 2), fmt(r.get(`${key}.toProxy`), 2)]
    })
    const cpuRows = CONFIGS.map(([conns, k]) => {
      const key = `${conns}x${k}`
      return [String(conns), (conns * k).toLocaleString('en-US'), fmt(r.get(`${key}.direct.cpu`)), fmt(r.get(`${key}.proxy.cpu`)),
        fmt(r.get(`${key}.broker.cpu`)), fmt(r.get(`${key}.cpuToProxy`), 2)]
    })
    const rate100 = r.get('1x100.toProxy')
    const cpu100 = r.get('1x100.cpuToProxy')
    const load = r.get('load')
    return {
      part: 'throughput',
      markdown: [
        '## 2. Throughput (testSquareInt, requests in flight)',
        '',
        `Each in-flight slot sends \`testSquareInt\` again as soon as its answer arrives; requests answered per second over ${durationMs} ms after ${warmupMs} ms of warm-up ` +
        `(and after every slot has had its first answer). ${options.repeats} rounds; in every round each configuration runs on each side, the sides in an order that rotates ` +
        'from round to round, and the ratios are taken within the round. The sides are those of part 1 (one TDLib client each, in the same state): the broker and the minimal ' +
        'proxy with 1 or 10 plain TCP connections from the benchmark process (broker connections attached to one session) and the given number in flight on each; ' +
        `direct tdl with the same total in flight. 1-minute load average at the start of the rounds: ${fmt(load, 2)}. ` +
        'Every process shares the machine\'s cores: the client (the benchmark process), the serving process\'s main thread, tdl\'s receive thread and TDLib\'s threads.',
        '',
        table(['connections', 'total in flight', 'direct tdl req/s', 'minimal proxy req/s', 'broker req/s', 'proxy / direct', 'broker / direct', 'broker / proxy'], rows),
        '',
        'CPU time per request of the serving process (user and system, every thread), over the same windows: the broker process, the proxy process, and for direct ' +
        'the benchmark process itself (its client side included). It depends less than requests per second on what else the machine is doing. Not included: the ' +
        'client\'s CPU for the socket sides.',
        '',
        table(['connections', 'total in flight', 'direct tdl CPU µs/request', 'minimal proxy CPU µs/request', 'broker CPU µs/request', 'broker / proxy'], cpuRows)
      ].join('\n'),
      targets: [{
        name: 'requests/s at 100 in flight, broker / minimal proxy ≥ 1.0',
        before: '0.55–0.76',
        measured: `${fmt(rate100, 2)} over ${options.repeats} rounds, one connection (median ${num(r.get('1x100.broker').median, 0)} against ${num(r.get('1x100.proxy').median, 0)} req/s; ` +
          `direct ${num(r.get('1x100.direct').median, 0)}); over 10 connections × 10: ${fmt(r.get('10x10.toProxy'), 2)}; load ${fmt(load, 2)}`,
        pass: rate100.median >= 1.0
      }, {
        name: 'CPU µs per request at 100 in flight, broker / minimal proxy ≤ 1.0',
        before: '1.59–1.85',
        measured: `${fmt(cpu100, 2)} over ${options.repeats} rounds (median ${num(r.get('1x100.broker.cpu').median)} against ${num(r.get('1x100.proxy.cpu').median)} µs)`,
        pass: cpu100.median <= 1.0
      }],
      charts: [1, 10].map(conns => ({
        title: `Throughput, ${conns} connection${conns > 1 ? 's' : ''} (requests/s, higher is better)`,
        unit: 'req/s',
        groups: CONFIGS.filter(c => c[0] === conns).map(([, k]) => ({
          label: `${k * conns} in flight`,
          bars: [
            { series: 'direct tdl', value: r.get(`${conns}x${k}.direct`) },
            { series: 'minimal proxy (floor)', value: r.get(`${conns}x${k}.proxy`) },
            { series: 'broker, plain TCP', value: r.get(`${conns}x${k}.broker`) }
          ]
        }))
      })),
      figures: r.all()
    }
  } finally {
    await sides.stop()
  }
}

/** Only a right answer counts: an error (a limit, a refusal) would otherwise pass for a fast request. */
function answered (answer: unknown): void {
  if ((answer as { value?: unknown }).value !== 9) throw new Error(`testSquareInt answered ${JSON.stringify(answer)}`)
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

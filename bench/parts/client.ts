/**
 * 6. The client's own cost: CPU of the benchmark process per request and per
 * update with @tdbroker/client, against a bare socket client (bench/lib/
 * client.ts: split lines, JSON.parse, match @extra) in the same run. Requests
 * go to the broker (a child process, real TDLib, testSquareInt); updates come
 * from a stand-in broker in its own process (bench/child/update-source.ts)
 * that streams one TDLib update line as fast as the socket takes it, so what
 * is measured in this process is the client and nothing else.
 */
import { connect, type BrokerClient } from '../../client/src/index.js'
import { BenchClient, createSession, type Msg } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { Child } from '../lib/child.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, ownCpuMicros, percentileSorted, spread } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'

const REQUEST_PATHS = ['bare', 'client', 'untimed'] as const
type RequestPath = typeof REQUEST_PATHS[number]
/** One request at a time, and WINDOW in flight at once (where a socket read carries several answers). */
const REQUEST_MODES = ['sequential', 'pipelined'] as const
const WINDOW = 32
/** Requests per block; a round is one block of every client. */
const BLOCK = 500
const UPDATE_PATHS = ['bare', 'event', 'iterator'] as const
type UpdatePath = typeof UPDATE_PATHS[number]
const LABEL: Record<string, string> = {
  bare: 'bare socket client',
  client: '@tdbroker/client, session.invoke',
  untimed: '@tdbroker/client, session.invoke, requestTimeoutMs 0 (no timeout)',
  event: "@tdbroker/client, session.on('update')",
  iterator: '@tdbroker/client, for await of session.updates()'
}

/** Runs `call` n times with `window` calls in flight at once. */
async function pipelined (call: () => Promise<unknown>, n: number, window: number): Promise<void> {
  let started = 0
  const lane = async (): Promise<void> => { while (started < n) { started++; await call() } }
  await Promise.all(Array.from({ length: Math.min(window, n) }, lane))
}

/** Counts arrivals; until(n) resolves once n have arrived in all (bounded by a timeout). */
function counter (): { add: () => void, until: (n: number, timeoutMs: number) => Promise<void> } {
  let seen = 0
  let target = Infinity
  let done: (() => void) | undefined
  return {
    add: () => { if (++seen >= target) { target = Infinity; done?.() } },
    until: async (n, timeoutMs) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`only ${seen} of ${n} updates arrived within ${timeoutMs} ms`)) }, timeoutMs)
        done = () => { clearTimeout(timer); resolve() }
        target = n
        if (seen >= n) { target = Infinity; done() }
      })
    }
  }
}

export async function runClient (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const samples = options.quick ? 2000 : 10_000
  const warmup = options.quick ? 500 : 2000
  const updates = options.quick ? 20_000 : 100_000
  const broker = await startBrokerProcess({ label: 'client', settings: { allowed_requests: ['testSquareInt'] } })
  const source = new Child('update source', new URL('../child/update-source.js', import.meta.url))
  const bench: BenchClient[] = []
  const typed: BrokerClient[] = []
  try {
    // Requests: both clients on one session of the broker.
    const bare = await BenchClient.connect('tcp', broker)
    bench.push(bare)
    const session = await createSession(bare)
    const client = await connect({ url: `tcp://127.0.0.1:${broker.ports.tcp}` })
    typed.push(client)
    const handle = await client.attach(session)
    const untimed = await connect({ url: `tcp://127.0.0.1:${broker.ports.tcp}`, requestTimeoutMs: 0 })
    typed.push(untimed)
    const untimedHandle = await untimed.attach(session)
    const request = { '@type': 'testSquareInt', x: 3, '@session': session }
    const once: Record<typeof REQUEST_PATHS[number], () => Promise<unknown>> = {
      // A bare client builds an object and stringifies it too: only what the typed client adds is left over.
      bare: async () => await bare.request(request),
      client: async () => await handle.invoke({ '@type': 'testSquareInt', x: 3 }),
      untimed: async () => await untimedHandle.invoke({ '@type': 'testSquareInt', x: 3 })
    }
    for (const path of REQUEST_PATHS) {
      const check = await once[path]() as Msg
      if (check.value !== 9) throw new Error(`testSquareInt over ${path} answered ${JSON.stringify(check)}`)
    }

    // Updates: three connections to the stand-in, opened in order (it names them 0, 1, 2).
    const port = await source.call<number>('start')
    const counters = { bare: counter(), event: counter(), iterator: counter() }
    const bareUpdates = await BenchClient.connect('tcp', { ports: { tcp: port } })
    bench.push(bareUpdates)
    bareUpdates.onMessage = () => { counters.bare.add() }
    const byEvent = await connect({ url: `tcp://127.0.0.1:${port}` })
    typed.push(byEvent)
    byEvent.session('1').on('update', () => { counters.event.add() })
    const byIterator = await connect({ url: `tcp://127.0.0.1:${port}` })
    typed.push(byIterator)
    const iterated = (async () => { for await (const _ of byIterator.session('1').updates({ bufferSize: updates * 2 })) counters.iterator.add() })()
    iterated.catch(() => {})
    const connection: Record<UpdatePath, number> = { bare: 0, event: 1, iterator: 2 }
    const received: Record<UpdatePath, number> = { bare: 0, event: 0, iterator: 0 }
    const streamed = async (path: UpdatePath, n: number): Promise<{ cpu: number, rate: number }> => {
      const cpu = ownCpuMicros()
      const t = process.hrtime.bigint()
      const arrived = counters[path].until(received[path] += n, 120_000)
      await source.call('stream', { connection: connection[path], count: n })
      await arrived
      const seconds = Number(process.hrtime.bigint() - t) / 1e9
      return { cpu: (ownCpuMicros() - cpu) / n, rate: n / seconds }
    }
    for (const path of UPDATE_PATHS) await streamed(path, Math.max(1000, updates / 10))

    const r = new Repeats()
    const rounds = samples / BLOCK
    const updateRounds = 5
    for (let rep = 0; rep < options.repeats; rep++) {
      // This repeat's figures, by name; every one also goes into r.
      const now: Record<string, number> = {}
      const add = (name: string, value: number): void => { now[name] = value; r.add(name, value) }
      // Requests in rounds: each round runs a block of every client, in a rotating order, and the differences are taken
      // within the round, so load from elsewhere on the machine, which drifts over seconds, hits both sides of a difference alike.
      for (const path of REQUEST_PATHS) for (let i = 0; i < warmup; i++) await once[path]()
      for (const mode of REQUEST_MODES) {
        const cpu = { bare: 0, client: 0, untimed: 0 }
        const lat: Record<RequestPath, number[]> = { bare: [], client: [], untimed: [] }
        const diffs: Record<'client' | 'untimed', number[]> = { client: [], untimed: [] }
        for (let round = 0; round < rounds; round++) {
          const block: Record<string, number> = {}
          for (let i = 0; i < REQUEST_PATHS.length; i++) {
            const path = REQUEST_PATHS[(i + round + rep) % REQUEST_PATHS.length]!
            let cpuStart = 0
            if (mode === 'sequential') {
              lat[path].push(...await sequentialLatency(once[path], 0, BLOCK, async () => { cpuStart = ownCpuMicros() }))
            } else {
              cpuStart = ownCpuMicros()
              await pipelined(once[path], BLOCK, WINDOW)
            }
            const used = ownCpuMicros() - cpuStart
            cpu[path] += used
            block[path] = used / BLOCK
          }
          diffs.client.push(block.client! - block.bare!)
          diffs.untimed.push(block.untimed! - block.bare!)
        }
        const m = mode === 'sequential' ? '' : 'pipelined.'
        for (const path of REQUEST_PATHS) {
          add(`${m}${path}.cpu`, cpu[path] / samples)
          if (mode === 'sequential') add(`${path}.p50`, percentileSorted(lat[path].sort((a, b) => a - b), 50))
        }
        add(`${m}request.extra`, spread(diffs.client).median)
        add(`${m}untimed.extra`, spread(diffs.untimed).median)
      }
      // Updates, likewise in rounds; per round the CPU differences and the rate ratios to the bare client.
      const perRound = Math.max(1000, Math.round(updates / updateRounds))
      const cpuSum: Record<UpdatePath, number> = { bare: 0, event: 0, iterator: 0 }
      const timeSum: Record<UpdatePath, number> = { bare: 0, event: 0, iterator: 0 }
      const extras: Record<'event' | 'iterator', number[]> = { event: [], iterator: [] }
      const ratios: Record<'event' | 'iterator', number[]> = { event: [], iterator: [] }
      for (let round = 0; round < updateRounds; round++) {
        const got: Partial<Record<UpdatePath, { cpu: number, rate: number }>> = {}
        for (let i = 0; i < UPDATE_PATHS.length; i++) {
          const path = UPDATE_PATHS[(i + round + rep) % UPDATE_PATHS.length]!
          const m = await streamed(path, perRound)
          got[path] = m
          cpuSum[path] += m.cpu * perRound
          timeSum[path] += perRound / m.rate
        }
        for (const path of ['event', 'iterator'] as const) {
          extras[path].push(got[path]!.cpu - got.bare!.cpu)
          ratios[path].push(got[path]!.rate / got.bare!.rate)
        }
      }
      for (const path of UPDATE_PATHS) {
        add(`${path}.update.cpu`, cpuSum[path] / (perRound * updateRounds))
        add(`${path}.update.rate`, (perRound * updateRounds) / timeSum[path])
      }
      for (const path of ['event', 'iterator'] as const) {
        add(`${path}.update.extra`, spread(extras[path]).median)
        add(`${path}.update.ratio`, spread(ratios[path]).median)
      }
      log(`  client repeat ${rep + 1}: request CPU bare ${num(now['bare.cpu']!, 2)} µs, client ${num(now['client.cpu']!, 2)} µs (+${num(now['request.extra']!, 2)}), ` +
        `untimed ${num(now['untimed.cpu']!, 2)} µs; pipelined bare ${num(now['pipelined.bare.cpu']!, 2)} µs, client ${num(now['pipelined.client.cpu']!, 2)} µs (+${num(now['pipelined.request.extra']!, 2)}); ` +
        `update CPU ${UPDATE_PATHS.map(p => `${p} ${num(now[`${p}.update.cpu`]!, 2)} µs`).join(', ')}; ` +
        `updates/s ${UPDATE_PATHS.map(p => `${p} ${num(now[`${p}.update.rate`]!, 0)}`).join(', ')}`)
    }

    const extra = r.get('request.extra')
    const slowest = Math.min(r.get('event.update.ratio').median, r.get('iterator.update.ratio').median)
    return {
      part: 'client',
      markdown: [
        '## 6. The client\'s own cost (@tdbroker/client)',
        '',
        `CPU time of the benchmark process (process.cpuUsage), which runs only the clients. Requests: \`testSquareInt\` to the broker (a child process, real TDLib), ` +
        `${samples.toLocaleString('en-US')} per client per repeat and mode after ${warmup.toLocaleString('en-US')} warm-up ones, in rounds of one block of ${BLOCK} per client ` +
        `in a rotating order; a difference is taken within each round and the figure is the median of the ${rounds} rounds' differences. Two modes: one request at a time, ` +
        `and ${WINDOW} in flight at once. The bare client (bench/lib/client.ts) builds the request object, stringifies it, splits lines, parses and matches \`@extra\`; ` +
        '@tdbroker/client adds its typed session handle, its pending-request bookkeeping with a shared timeout timer, and AbortSignal/timeout handling. ' +
        'Updates: a stand-in broker in its own process ' +
        `(bench/child/update-source.ts) streams ${updates.toLocaleString('en-US')} copies of a 1.2 KB \`updateNewMessage\` per client per repeat, in ${updateRounds} rounds; ` +
        'the bare client parses each line, @tdbroker/client also routes it to its session, checks `@seq` and hands it to an event listener or an ' +
        `async iterator. ${options.repeats} repeats; each cell is the median of the repeats, (min–max) in brackets. The figures exclude the broker's CPU (another process).`,
        '',
        table(['client', 'CPU µs/request, one at a time', `CPU µs/request, ${WINDOW} in flight`, 'p50 µs/round trip'], REQUEST_PATHS.map(p => [
          LABEL[p]!, fmt(r.get(`${p}.cpu`), 2), fmt(r.get(`pipelined.${p}.cpu`), 2), fmt(r.get(`${p}.p50`))
        ])),
        '',
        table(['client', 'CPU µs/update', 'updates/s', 'updates/s ratio to bare'], UPDATE_PATHS.map(p => [
          LABEL[p]!, fmt(r.get(`${p}.update.cpu`), 2), fmt(r.get(`${p}.update.rate`), 0), p === 'bare' ? '1' : fmt(r.get(`${p}.update.ratio`), 2)
        ])),
        '',
        `@tdbroker/client adds ${fmt(extra, 2)} µs of CPU per request over the bare client one at a time (${fmt(r.get('untimed.extra'), 2)} µs with no timeout), ` +
        `${fmt(r.get('pipelined.request.extra'), 2)} µs with ${WINDOW} in flight (${fmt(r.get('pipelined.untimed.extra'), 2)} µs with no timeout), and ` +
        `${fmt(r.get('event.update.extra'), 2)} µs per update by event, ${fmt(r.get('iterator.update.extra'), 2)} µs by iterator.`
      ].join('\n'),
      targets: [{
        name: '@tdbroker/client costs at most 5 µs CPU more per request than a bare socket client',
        measured: `${num(extra.median, 2)} µs more one at a time (median over repeats of each repeat's median per-round difference, min ${num(extra.min, 2)}, max ${num(extra.max, 2)}): ` +
          `${num(r.get('client.cpu').median, 2)} against ${num(r.get('bare.cpu').median, 2)} µs; ${num(r.get('pipelined.request.extra').median, 2)} µs more with ${WINDOW} in flight`,
        pass: extra.median <= 5
      }, {
        name: '@tdbroker/client delivers as many updates per second as a bare socket client (at least 90 %)',
        measured: `event ${num(r.get('event.update.ratio').median, 2)} ×, iterator ${num(r.get('iterator.update.ratio').median, 2)} × the bare client's ` +
          `${num(r.get('bare.update.rate').median, 0)} updates/s`,
        pass: slowest >= 0.9
      }],
      charts: [{
        title: 'Client CPU per request and per update (µs, lower is better)',
        unit: 'µs',
        groups: [
          { label: 'request', bars: REQUEST_PATHS.map(p => ({ series: LABEL[p]!, value: r.get(`${p}.cpu`) })) },
          { label: 'update', bars: UPDATE_PATHS.map(p => ({ series: LABEL[p]!, value: r.get(`${p}.update.cpu`) })) }
        ]
      }]
    }
  } finally {
    for (const c of typed) c.close()
    for (const c of bench) c.close()
    await source.stop()
    await broker.stop()
  }
}

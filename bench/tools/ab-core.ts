/**
 * A/B of two broker builds against the minimal proxy, interleaved: every
 * round measures each side in a rotating order, so drift on a shared machine
 * hits them alike. Per side: round trip p50 (one request at a time, the
 * sides taking turns in short blocks; p50 differences are also paired
 * within each block) with its CPU per request, and
 * requests/s and CPU µs/request with 100 in flight over one connection.
 * Ratios to the proxy are taken per round; printed as median [min–max].
 *
 *   node dist/bench/tools/ab-core.js --other=DIR [--rounds=N] [--quick]
 *
 * DIR is another checkout, compiled (`npx tsc -p tsconfig.json` there), whose
 * dist/bench/child/broker.js is side "other"; side "this" is this build.
 * --env=K=V sets an environment variable for side "this" only; --admin gives side
 * "this" an admin section (metrics on), so `--other=.` is metrics off against on
 * in one build. BENCH_PROFILE=DIR
 * writes a CPU profile of both brokers (bench/lib/options.ts). Side "this" also
 * reports main-thread CPU, write system calls and context switches (every
 * thread's sleeps and preemptions) per request, from procfs; so does every side.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { readFileSync, readdirSync } from 'node:fs'
import { BenchClient, createSession } from '../lib/client.js'
import { Child, killAllChildren } from '../lib/child.js'
import { removeAllFolders, tempFolder } from '../lib/temp.js'
import { Repeats, sleep } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'
import { profileFlags } from '../lib/options.js'
import { BENCH_CREDENTIALS } from '../lib/direct.js'
import { waitForState } from '../lib/sides.js'

/** One request at a time: blocks per round, and the unmeasured requests that start each block. */
const BLOCKS = 10
const BLOCK_WARMUP = 50

const HERE = fileURLToPath(new URL('../../../', import.meta.url))

interface Side { name: string, child: Child, client: BenchClient, prefix: string }

async function startBroker (name: string, root: string, env: NodeJS.ProcessEnv = {}, extra: Record<string, unknown> = {}): Promise<Side> {
  const child = new Child(`broker (${name})`, pathToFileURL(join(root, 'dist/bench/child/broker.js')), { execArgv: profileFlags(`ab-${name}`), env })
  const dir = tempFolder()
  // The settings and state of bench/lib/sides.ts: parameters set, waiting for a phone number, like the proxy's client.
  const settings = { debug_level: 4, logfile: 'broker.log', allowed_requests: ['testSquareInt', 'getAuthorizationState'], host: '127.0.0.1', port: 0, tdlib: { path: 'sessions', ...BENCH_CREDENTIALS }, ...extra }
  const started = await child.call<{ tcp: number, admin?: number }>('start', { settings, dir })
  // One scrape, as Prometheus would have made: Node's default metrics start with the first.
  if (started.admin !== undefined) await (await fetch(`http://127.0.0.1:${started.admin}/metrics`)).text()
  const client = await BenchClient.connect('tcp', { ports: { tcp: started.tcp } })
  const session = await createSession(client)
  await waitForState(client, session)
  return { name, child, client, prefix: `{"@type":"testSquareInt","x":3,"@session":"${session}"` }
}

async function startProxy (): Promise<Side> {
  const child = new Child('minimal proxy', pathToFileURL(join(HERE, 'dist/bench/child/minimal-proxy.js')))
  // The proxy's TDLib client is in the broker's sessions' state, in a folder of its own.
  const port = await child.call<number>('start', { dir: tempFolder() })
  const client = await BenchClient.connect('tcp', { ports: { tcp: port } })
  return { name: 'proxy', child, client, prefix: '{"@type":"testSquareInt","x":3,"@session":"none"' }
}

/**
 * From procfs: CPU time of the main thread and of all threads (clock ticks
 * turned into µs), and the write system calls so far (syscw counts write,
 * writev and the like).
 */
function procStats (pid: number): { mainUs: number, allUs: number, writes: number, switches: number } {
  const tickUs = 1e6 / 100
  const ticks = (tid: string): number => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  }
  let all = 0
  let switches = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      all += ticks(tid)
      // A thread's sleeps and preemptions: each is a wake-up paid for in the kernel's scheduler.
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
      switches += Number(/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? 0) + Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? 0)
    } catch { /* the thread ended meanwhile */ }
  }
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  const writes = Number(/syscw: (\d+)/.exec(io)?.[1] ?? NaN)
  return { mainUs: ticks(String(pid)) * tickUs, allUs: all * tickUs, writes, switches }
}

async function throughput (side: Side, inFlight: number, warmupMs: number, durationMs: number): Promise<{ rate: number, cpu: number, mainCpu: number, writes: number, switches: number }> {
  let stop = false
  let counting = false
  let done = 0
  const loops = Array.from({ length: inFlight }, async () => {
    while (!stop) {
      await side.client.requestPrefix(side.prefix)
      if (counting) done++
    }
  })
  await sleep(warmupMs)
  const proc0 = procStats(side.child.pid)
  const cpu0 = await side.child.cpuMicros()
  const t0 = process.hrtime.bigint()
  counting = true
  await sleep(durationMs)
  counting = false
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9
  const counted = done
  const cpu1 = await side.child.cpuMicros()
  const proc1 = procStats(side.child.pid)
  stop = true
  await Promise.all(loops)
  return { rate: counted / elapsed, cpu: (cpu1 - cpu0) / counted, mainCpu: (proc1.mainUs - proc0.mainUs) / counted, writes: (proc1.writes - proc0.writes) / counted, switches: (proc1.switches - proc0.switches) / counted }
}

function show (r: Repeats, key: string, digits = 2): string {
  const s = r.get(key)
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`
}

function quartiles (r: Repeats, key: string): string {
  const sorted = [...r.get(key).runs].sort((a, b) => a - b)
  const at = (q: number): string => sorted[Math.round(q * (sorted.length - 1))]!.toFixed(1)
  return `${at(0.5)} [${at(0.25)} to ${at(0.75)}]`
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const other = args.find(a => a.startsWith('--other='))?.slice(8)
  if (other === undefined) throw new Error('usage: ab-core --other=DIR [--rounds=N] [--quick]')
  const rounds = Number(args.find(a => a.startsWith('--rounds='))?.slice(9) ?? 5)
  const quick = args.includes('--quick')
  const samples = quick ? 1000 : 3000
  const durationMs = quick ? 700 : 1500
  // --env=K=V: an environment variable for side "this" only (to compare a setting of the same build).
  const env = Object.fromEntries(args.filter(a => a.startsWith('--env=')).map(a => { const [k, ...v] = a.slice(6).split('='); return [k!, v.join('=')] }))
  const sides = [await startProxy(), await startBroker('other', other), await startBroker('this', HERE, env, args.includes('--admin') ? { admin: { host: '127.0.0.1', port: 0 } } : {})]
  const r = new Repeats()
  const loads: number[] = []
  for (let round = 0; round < rounds; round++) {
    loads.push(loadavg()[0]!)
    const measured: Record<string, { p50: number, seqMain: number, rate: number, cpu: number, mainCpu: number, writes: number, switches: number }> = {}
    // One request at a time: the sides take turns in short blocks (the order rotating), so drift falls on all alike.
    const lat: Record<string, number[]> = {}
    const seqMain: Record<string, number> = {}
    const blockP50: Record<string, number> = {}
    for (let block = 0; block < BLOCKS; block++) {
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + block + round) % sides.length]!
        await sequentialLatency(async () => await side.client.requestPrefix(side.prefix), BLOCK_WARMUP, 0)
        const before = await side.child.cpuMicros()
        const got = await sequentialLatency(async () => await side.client.requestPrefix(side.prefix), 0, samples / BLOCKS)
        seqMain[side.name] = (seqMain[side.name] ?? 0) + await side.child.cpuMicros() - before
        blockP50[side.name] = got[got.length >> 1]!
        ;(lat[side.name] ??= []).push(...got)
      }
      // Paired within the block: what drifts between blocks cancels out.
      r.add('block.other-proxy', blockP50.other! - blockP50.proxy!)
      r.add('block.this-proxy', blockP50.this! - blockP50.proxy!)
      r.add('block.this-other', blockP50.this! - blockP50.other!)
    }
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + round) % sides.length]!
      const sorted = lat[side.name]!.sort((a, b) => a - b)
      const p50 = sorted[sorted.length >> 1]!
      const t = await throughput(side, 100, 300, durationMs)
      measured[side.name] = { p50, seqMain: seqMain[side.name]! / samples, rate: t.rate, cpu: t.cpu, mainCpu: t.mainCpu, writes: t.writes, switches: t.switches }
      r.add(`${side.name}.switches`, t.switches)
      r.add(`${side.name}.main`, t.mainCpu)
      r.add(`${side.name}.seqMain`, measured[side.name]!.seqMain)
      r.add(`${side.name}.writes`, t.writes)
      r.add(`${side.name}.p50`, p50)
      r.add(`${side.name}.rate`, t.rate)
      r.add(`${side.name}.cpu`, t.cpu)
    }
    const p = measured.proxy!
    for (const name of ['other', 'this']) {
      const m = measured[name]!
      r.add(`${name}.p50ratio`, m.p50 / p.p50)
      r.add(`${name}.seqMainratio`, m.seqMain / p.seqMain)
      r.add(`${name}.rateratio`, m.rate / p.rate)
      r.add(`${name}.cpuratio`, m.cpu / p.cpu)
      r.add(`${name}.mainratio`, m.mainCpu / p.mainCpu)
    }
    process.stdout.write(`round ${round + 1}: ` + sides.map(s => `${s.name} p50 ${measured[s.name]!.p50.toFixed(0)} µs (CPU ${measured[s.name]!.seqMain.toFixed(1)} µs/req), ${measured[s.name]!.rate.toFixed(0)}/s, ${measured[s.name]!.cpu.toFixed(1)} µs CPU/req (main thread ${measured[s.name]!.mainCpu.toFixed(1)}), ${measured[s.name]!.writes.toFixed(2)} writes/req, ${measured[s.name]!.switches.toFixed(2)} context switches/req`).join(' | ') + ` (load ${loadavg()[0]!.toFixed(2)})\n`)
  }
  process.stdout.write(`\n${rounds} rounds, 1-minute load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}; median [min–max]\n`)
  for (const name of ['proxy', 'other', 'this']) {
    process.stdout.write(`${name.padEnd(6)} p50 ${show(r, `${name}.p50`, 0)} µs (CPU ${show(r, `${name}.seqMain`, 1)} µs/req), 100 in flight ${show(r, `${name}.rate`, 0)} req/s, ${show(r, `${name}.cpu`, 1)} µs CPU/req, main thread ${show(r, `${name}.main`, 1)} µs/req, ${show(r, `${name}.writes`)} write calls/req, ${show(r, `${name}.switches`)} context switches/req\n`)
  }
  for (const name of ['other', 'this']) {
    process.stdout.write(`${name.padEnd(6)} / proxy: p50 ${show(r, `${name}.p50ratio`)} (CPU/req ${show(r, `${name}.seqMainratio`)}), req/s ${show(r, `${name}.rateratio`)}, CPU/req ${show(r, `${name}.cpuratio`)}, main thread CPU/req ${show(r, `${name}.mainratio`)}\n`)
  }
  process.stdout.write(`p50 differences within a block, µs (${r.get('block.this-proxy').runs.length} blocks; median [quartiles]): other − proxy ${quartiles(r, 'block.other-proxy')}, this − proxy ${quartiles(r, 'block.this-proxy')}, this − other ${quartiles(r, 'block.this-other')}\n`)
  for (const s of sides) s.client.close()
  for (const s of sides) await s.child.stop()
}

main().then(() => { removeAllFolders(); process.exit(0) }, (e: unknown) => {
  killAllChildren()
  removeAllFolders()
  process.stderr.write(`ab-core failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exit(1)
})

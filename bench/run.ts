/**
 * `npm run bench`: runs the benchmark parts, prints every figure and a PASS
 * or FAIL per target, writes every figure to bench/results/ as JSON, and (for
 * a complete run) writes docs/benchmarks.md and docs/benchmarks.svg.
 * Options: bench/lib/options.ts. A part is one entry of PARTS.
 */
import { fileURLToPath } from 'node:url'
import { killAllChildren } from './lib/child.js'
import { removeAllFolders } from './lib/temp.js'
import { describeMachine, loadAverage } from './lib/machine.js'
import { parseOptions, type BenchOptions } from './lib/options.js'
import type { PartReport } from './lib/report-types.js'
import { tdlibVersion } from './lib/direct.js'
import { runRoundTrip } from './parts/roundtrip.js'
import { runThroughput } from './parts/throughput.js'
import { runFanout } from './parts/fanout.js'
import { runMemory } from './parts/memory.js'
import { runFormat } from './parts/format.js'
import { runClient } from './parts/client.js'
import { runGateway } from './parts/gateway.js'
import { runMetrics } from './parts/metrics.js'
import { runCluster } from './parts/cluster.js'
import { readResults, writeReport, writeResults } from './report.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

type Runner = (options: BenchOptions, log: (line: string) => void) => Promise<PartReport>

/** The parts, in the order they run; `--only=NAME,…` picks some. */
const PARTS: ReadonlyArray<{ readonly name: string, readonly run: Runner }> = [
  { name: 'roundtrip', run: runRoundTrip },
  { name: 'throughput', run: runThroughput },
  { name: 'fanout', run: runFanout },
  { name: 'memory', run: runMemory },
  { name: 'format', run: runFormat },
  { name: 'client', run: runClient },
  { name: 'metrics', run: runMetrics },
  { name: 'gateway', run: runGateway },
  { name: 'cluster', run: runCluster }
]

async function main (): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env, PARTS.map(p => p.name))
  if (options.from !== undefined) {
    const { machine, reports, run } = readResults(options.from)
    process.stdout.write(`wrote ${writeReport(ROOT, machine, reports, run).join(' and ')} from ${options.from} (measured ${machine.date})\n`)
    return 0
  }
  const machine = describeMachine(ROOT, tdlibVersion())
  const log = (line: string): void => { process.stdout.write(line + '\n') }
  log(`tdbroker benchmarks: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, TDLib ${machine.tdlib}, commit ${machine.commit}`)
  const loadBefore = loadAverage()
  if (loadBefore > 0.5) log(`note: the 1-minute load average is ${loadBefore.toFixed(2)}: other work on this machine will skew the figures`)
  const reports: PartReport[] = []
  const failed: string[] = []
  const timings: Array<{ part: string, seconds: number, loadBefore: number, loadAfter: number }> = []
  const started = Date.now()
  for (const part of PARTS.filter(p => options.parts.includes(p.name))) {
    log(`\n== ${part.name} (1-minute load average ${loadAverage().toFixed(2)})`)
    const t = Date.now()
    const load = loadAverage()
    try {
      reports.push(await part.run(options, log))
    } catch (e) {
      // One part failing (a child that died, a machine too loaded for a bound) leaves the others' figures worth having.
      failed.push(part.name)
      log(`   FAILED: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
      killAllChildren()
      continue
    }
    timings.push({ part: part.name, seconds: Math.round((Date.now() - t) / 1000), loadBefore: load, loadAfter: loadAverage() })
    log(`   (${((Date.now() - t) / 1000).toFixed(0)} s)`)
  }
  // Targets are reported, never enforced: a missed target does not fail the run.
  const targets = reports.flatMap(r => r.targets)
  log(`\nTargets (${targets.filter(t => t.pass).length} of ${targets.length} met):`)
  for (const target of targets) log(`  ${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.measured}${target.before !== undefined ? ` (issue's independent run: ${target.before})` : ''}`)
  const seconds = Math.round((Date.now() - started) / 1000)
  const results = writeResults(ROOT, machine, reports, { seconds, loadBefore, loadAfter: loadAverage(), repeats: options.repeats, quick: options.quick, complete: options.complete && failed.length === 0, parts: timings })
  log(`\nall figures: ${results}`)
  if (failed.length > 0) log(`\nparts that failed: ${failed.join(', ')} (their figures are missing; docs/benchmarks.md left as it is)`)
  if (options.complete && failed.length === 0) {
    const written = writeReport(ROOT, machine, reports, { seconds, loadBefore, loadAfter: loadAverage(), repeats: options.repeats, quick: options.quick, complete: options.complete && failed.length === 0, parts: timings })
    log(`\nwrote ${written.join(' and ')}`)
  } else {
    for (const report of reports) log(`\n${report.markdown}`)
    log('\n(partial or quick run: docs/benchmarks.md left as it is; the tables are above)')
  }
  log(`done in ${seconds} s`)
  return failed.length > 0 ? 1 : 0
}

/** Kills what is still running and removes every temporary folder. */
function cleanUp (): void {
  killAllChildren()
  removeAllFolders()
}

process.on('SIGINT', () => { cleanUp(); process.exit(130) })
process.on('SIGTERM', () => { cleanUp(); process.exit(143) })
main().then(code => { process.exit(code) }, (e: unknown) => {
  cleanUp()
  process.stderr.write(`benchmark failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exit(1)
})

/**
 * `npm run bench`: runs the benchmark parts, prints every figure and a PASS
 * or FAIL per target, and (for a complete run) writes docs/benchmarks.md and
 * docs/benchmarks.svg. Options: bench/lib/options.ts.
 */
import { fileURLToPath } from 'node:url'
import { killAllChildren } from './lib/child.js'
import { removeAllFolders } from './lib/temp.js'
import { describeMachine, loadAverage } from './lib/machine.js'
import { parseOptions, type Part, type BenchOptions } from './lib/options.js'
import type { PartReport } from './lib/report-types.js'
import { tdlibVersion } from './lib/direct.js'
import { runRoundTrip } from './parts/roundtrip.js'
import { runThroughput } from './parts/throughput.js'
import { runFanout } from './parts/fanout.js'
import { runMemory } from './parts/memory.js'
import { runFormat } from './parts/format.js'
import { runClient } from './parts/client.js'
import { runGateway } from './parts/gateway.js'
import { writeReport } from './report.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

type Runner = (options: BenchOptions, log: (line: string) => void) => Promise<PartReport>

const RUNNERS: Record<Part, Runner> = {
  roundtrip: runRoundTrip,
  throughput: runThroughput,
  fanout: runFanout,
  memory: runMemory,
  format: runFormat,
  client: runClient,
  gateway: runGateway
}

async function main (): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env)
  const machine = describeMachine(ROOT, tdlibVersion())
  const log = (line: string): void => { process.stdout.write(line + '\n') }
  log(`tdbroker benchmarks: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, TDLib ${machine.tdlib}, commit ${machine.commit}`)
  const loadBefore = loadAverage()
  if (loadBefore > 0.5) log(`note: the 1-minute load average is ${loadBefore.toFixed(2)}: other work on this machine will skew the figures`)
  const reports: PartReport[] = []
  const started = Date.now()
  for (const part of options.parts) {
    log(`\n== ${part}`)
    const t = Date.now()
    reports.push(await RUNNERS[part](options, log))
    log(`   (${((Date.now() - t) / 1000).toFixed(0)} s)`)
  }
  // Targets are reported, never enforced: a missed target does not fail the run.
  const targets = reports.flatMap(r => r.targets)
  log(`\nTargets (${targets.filter(t => t.pass).length} of ${targets.length} met):`)
  for (const target of targets) log(`  ${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.measured}`)
  const seconds = Math.round((Date.now() - started) / 1000)
  if (options.complete) {
    const written = writeReport(ROOT, machine, reports, { seconds, loadBefore, loadAfter: loadAverage(), repeats: options.repeats })
    log(`\nwrote ${written.join(' and ')}`)
  } else {
    for (const report of reports) log(`\n${report.markdown}`)
    log('\n(partial or quick run: docs/benchmarks.md left as it is; the tables are above)')
  }
  log(`done in ${seconds} s`)
  return 0
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

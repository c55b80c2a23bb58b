/**
 * Benchmark options, from flags and environment:
 *   --only=roundtrip,fanout,…  run some parts (the names: bench/run.ts PARTS; docs are then not rewritten)
 *   --quick                 shorter runs, the same ratios less precisely (docs are not rewritten)
 *   --sessions=N            the largest session count of the memory part (BENCH_SESSIONS, default 1000; quick 100)
 *   --repeats=N             rounds of every comparison (BENCH_REPEATS, default 5, quick 3; at least 3 for the docs)
 *   --from=FILE             measure nothing: rewrite docs/benchmarks.md and .svg from a complete run's results file
 *   BENCH_PROFILE=DIR       write a CPU profile of every broker process into DIR (--cpu-prof)
 *   BENCH_HEAP_PROFILE=DIR  the same with --heap-prof
 */
import { join } from 'node:path'

export interface BenchOptions {
  /** Names of the parts to run, in the order of `known`. */
  readonly parts: readonly string[]
  readonly quick: boolean
  readonly sessions: number
  readonly repeats: number
  /** True when every part runs at full length: only then docs/benchmarks.md is rewritten. */
  readonly complete: boolean
  /** A results file (bench/results/*.json) to rewrite the docs from, measuring nothing. */
  readonly from?: string
}

/** Parses flags and environment; `known` are the part names, in the order they run. */
export function parseOptions (argv: readonly string[], env: NodeJS.ProcessEnv, known: readonly string[]): BenchOptions {
  let only: string[] | undefined
  let quick = false
  let from: string | undefined
  let sessions = intOf(env.BENCH_SESSIONS, 'BENCH_SESSIONS')
  let repeats = intOf(env.BENCH_REPEATS, 'BENCH_REPEATS')
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined]
    if (flag === '--quick') quick = true
    else if (flag === '--only' && value !== undefined) {
      only = value.split(',')
      for (const p of only) if (!known.includes(p)) throw new Error(`unknown part "${p}" (parts: ${known.join(', ')})`)
    } else if (flag === '--sessions') sessions = intOf(value, '--sessions') ?? sessions
    else if (flag === '--repeats') repeats = intOf(value, '--repeats') ?? repeats
    else if (flag === '--from' && value !== undefined && value !== '') from = value
    else throw new Error(`unknown argument ${arg} (see bench/lib/options.ts)`)
  }
  sessions ??= quick ? 100 : 1000
  repeats ??= quick ? 3 : 5
  if (sessions < 10) throw new Error('--sessions must be at least 10')
  if (repeats < 1) throw new Error('--repeats must be at least 1')
  const parts = only === undefined ? [...known] : known.filter(p => only!.includes(p))
  const complete = !quick && parts.length === known.length && repeats >= 3
  return { parts, quick, sessions, repeats, complete, ...(from !== undefined ? { from } : {}) }
}

function intOf (value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n)) throw new Error(`${what} must be an integer, got "${value}"`)
  return n
}

/** node flags for a child process's CPU/heap profile, when asked for in the environment. */
export function profileFlags (label: string): string[] {
  const flags: string[] = []
  const cpu = process.env.BENCH_PROFILE
  if (cpu !== undefined && cpu !== '') flags.push('--cpu-prof', `--cpu-prof-dir=${join(cpu, label)}`)
  const heap = process.env.BENCH_HEAP_PROFILE
  if (heap !== undefined && heap !== '') flags.push('--heap-prof', `--heap-prof-dir=${join(heap, label)}`)
  return flags
}

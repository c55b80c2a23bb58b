/**
 * Benchmark options, from flags and environment:
 *   --only=roundtrip,throughput,fanout,memory,format,client,gateway   run some parts (docs are then not rewritten)
 *   --quick                 shorter runs for a smoke test (docs are not rewritten)
 *   --sessions=N            the largest session count of the memory part (BENCH_SESSIONS, default 1000)
 *   --repeats=N             repeats of every figure (BENCH_REPEATS, default 3, at least 3 for the docs)
 *   BENCH_PROFILE=DIR       write a CPU profile of every broker process into DIR (--cpu-prof)
 *   BENCH_HEAP_PROFILE=DIR  the same with --heap-prof
 */
import { join } from 'node:path'

export const PARTS = ['roundtrip', 'throughput', 'fanout', 'memory', 'format', 'client', 'gateway'] as const
export type Part = typeof PARTS[number]

export interface BenchOptions {
  readonly parts: readonly Part[]
  readonly quick: boolean
  readonly sessions: number
  readonly repeats: number
  /** True when every part runs at full length: only then docs/benchmarks.md is rewritten. */
  readonly complete: boolean
}

export function parseOptions (argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let parts: Part[] = [...PARTS]
  let quick = false
  let sessions = intOf(env.BENCH_SESSIONS, 'BENCH_SESSIONS') ?? 1000
  let repeats = intOf(env.BENCH_REPEATS, 'BENCH_REPEATS') ?? 3
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined]
    if (flag === '--quick') quick = true
    else if (flag === '--only' && value !== undefined) {
      parts = value.split(',').map(p => {
        if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part "${p}" (parts: ${PARTS.join(', ')})`)
        return p as Part
      })
    } else if (flag === '--sessions') sessions = intOf(value, '--sessions') ?? sessions
    else if (flag === '--repeats') repeats = intOf(value, '--repeats') ?? repeats
    else throw new Error(`unknown argument ${arg} (see bench/lib/options.ts)`)
  }
  if (sessions < 10) throw new Error('--sessions must be at least 10')
  if (repeats < 1) throw new Error('--repeats must be at least 1')
  const complete = !quick && parts.length === PARTS.length && repeats >= 3
  return { parts, quick, sessions, repeats, complete }
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

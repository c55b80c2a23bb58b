/** Percentiles of one run, and median/min/max across repeated runs. */

/** The p-th percentile (0..100) of values, nearest-rank on a sorted copy. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return percentileSorted(sorted, p)
}

/** Like percentile, for values already sorted ascending. */
export function percentileSorted (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN
}

/** One figure measured several times: reported as median, with min and max. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly runs: readonly number[]
}

export function spread (runs: readonly number[]): Spread {
  const sorted = [...runs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : ((sorted[mid - 1]! + sorted[mid]!) / 2)
  return { median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN, runs }
}

/** Collects named series over repeats: add(name, value) per repeat, then spread(name). */
export class Repeats {
  private readonly series = new Map<string, number[]>()
  add (name: string, value: number): void {
    let list = this.series.get(name)
    if (list === undefined) this.series.set(name, list = [])
    list.push(value)
  }

  get (name: string): Spread {
    const list = this.series.get(name)
    if (list === undefined) throw new Error(`no measurements named ${name}`)
    return spread(list)
  }

  has (name: string): boolean { return this.series.has(name) }

  /** Every series, for the JSON results file. */
  all (): Record<string, Spread> {
    return Object.fromEntries([...this.series.keys()].map(name => [name, this.get(name)]))
  }
}

/** Microseconds since an hrtime.bigint() stamp. */
export function microsSince (start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => { setTimeout(resolve, ms) })
}

/** This process's CPU time so far, every thread, in microseconds. */
export function ownCpuMicros (): number {
  const used = process.cpuUsage()
  return used.user + used.system
}

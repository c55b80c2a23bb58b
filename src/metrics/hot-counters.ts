/**
 * Counters and a histogram for the hot paths (every request, every update
 * delivered): plain numbers bumped in place, handed to prom-client's
 * registry only when scraped. prom-client's own label children hash their
 * labels again on every inc() and observe() (about 1 µs each on a loaded
 * 2-core machine, measured by `npm run bench -- --only=metrics`), which is
 * what these avoid. The scrape output is the same text format.
 */
import type { Metric, Registry } from 'prom-client'

interface Value { value: number, labels: Record<string, string | number>, metricName?: string }

/** What a registry asks of a metric when scraped (prom-client's MetricObjectWithValues). */
interface Collected {
  name: string
  help: string
  type: 'counter' | 'histogram'
  aggregator: 'sum'
  values: Value[]
}

/** Registers an object that prom-client's Registry reads like one of its own metrics. */
function register (registry: Registry, metric: { readonly name: string, get(): Promise<Collected> }): void {
  registry.registerMetric(metric as unknown as Metric)
}

/** A counter over a fixed list of label values of one label; `inc(i)` bumps the i-th. */
export class IndexedCounter {
  private readonly counts: Float64Array
  constructor (readonly name: string, private readonly help: string, private readonly label: string, private readonly values: readonly string[], registry: Registry) {
    this.counts = new Float64Array(values.length)
    register(registry, this)
  }

  inc (index: number): void { this.counts[index]!++ }

  async get (): Promise<Collected> {
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values: this.values.map((v, i) => ({ value: this.counts[i]!, labels: { [this.label]: v } })) }
  }
}

/** One request type's counts by outcome and its latency buckets. */
export class TypeSeries {
  readonly outcomes: Float64Array
  /** Per bucket (not cumulative), for observations at most its upper bound and above the previous one. */
  readonly buckets: Float64Array
  sum = 0
  count = 0
  constructor (outcomes: number, buckets: number) {
    this.outcomes = new Float64Array(outcomes)
    this.buckets = new Float64Array(buckets)
  }
}

/**
 * tdbroker_requests_total{type,outcome} and tdbroker_request_duration_seconds{type},
 * kept together because every request bumps both: one map lookup per request.
 * Only label sets that happened are scraped, as with prom-client's own.
 */
export class RequestSeries {
  private readonly byType = new Map<string, TypeSeries>()

  constructor (
    private readonly counter: { name: string, help: string },
    private readonly histogram: { name: string, help: string },
    private readonly outcomes: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry
  ) {
    const self = this
    register(registry, { name: counter.name, get: async () => self.counted() })
    register(registry, { name: histogram.name, get: async () => self.timed() })
  }

  /** The series of a type label (created on first use; labels are bounded by the caller). */
  of (type: string): TypeSeries {
    let series = this.byType.get(type)
    if (series === undefined) {
      series = new TypeSeries(this.outcomes.length, this.bounds.length)
      this.byType.set(type, series)
    }
    return series
  }

  /** Adds a latency in seconds to a type's histogram. */
  observe (series: TypeSeries, seconds: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && seconds > bounds[i]!) i++
    if (i < bounds.length) series.buckets[i]!++
    series.sum += seconds
    series.count++
  }

  private counted (): Collected {
    const values: Value[] = []
    for (const [type, s] of this.byType) {
      this.outcomes.forEach((outcome, i) => { if (s.outcomes[i]! > 0) values.push({ value: s.outcomes[i]!, labels: { type, outcome } }) })
    }
    return { ...this.counter, type: 'counter', aggregator: 'sum', values }
  }

  private timed (): Collected {
    const name = this.histogram.name
    const values: Value[] = []
    for (const [type, s] of this.byType) {
      if (s.count === 0) continue
      let cumulative = 0
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i]!
        values.push({ metricName: `${name}_bucket`, value: cumulative, labels: { le, type } })
      })
      values.push({ metricName: `${name}_bucket`, value: s.count, labels: { le: '+Inf', type } },
        { metricName: `${name}_sum`, value: s.sum, labels: { type } },
        { metricName: `${name}_count`, value: s.count, labels: { type } })
    }
    return { ...this.histogram, type: 'histogram', aggregator: 'sum', values }
  }
}

/**
 * Counters and a histogram for the hot paths (every request, every update
 * delivered): plain numbers in typed arrays, indexed by small integer ids,
 * handed to prom-client's registry only when scraped (the registry calls
 * get() as it does on its own metrics). prom-client's own label children
 * build and hash a label key on every inc() and observe() (about 1 µs each on
 * a loaded 2-core machine), which is what these avoid. The scrape output is
 * the same text format, with the same names and label sets.
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

/** One type label's counts by outcome and its latency buckets. */
class TypeSeries {
  readonly outcomes: Float64Array
  /** Per bucket (not cumulative, the last one +Inf): observations at most its bound and above the previous one. */
  readonly buckets: Float64Array
  /** Milliseconds, turned into seconds when scraped. */
  sumMs = 0
  count = 0
  constructor (readonly type: string, outcomes: number, buckets: number) {
    this.outcomes = new Float64Array(outcomes)
    this.buckets = new Float64Array(buckets + 1)
  }
}

/**
 * tdbroker_requests_total{type,outcome} and tdbroker_request_duration_seconds{type},
 * kept together because every request bumps both. A request's type is turned
 * into a small id once per request (one Map lookup on the type TDLib was
 * sent); outcomes are indexes into OUTCOMES; nothing builds a label or a key
 * string until a scrape. Only label sets that happened are scraped, as with
 * prom-client's own.
 */
export class RequestSeries {
  /** By id; an id is a type label's position here. */
  private readonly series: TypeSeries[] = []
  private readonly idOfLabel = new Map<string, number>()
  /**
   * Request type → id, for types whose label is the type itself (whitelisted,
   * so as many as settings list); "other" types are not kept, so clients
   * sending made-up types cannot grow it.
   */
  private readonly idOfType = new Map<string, number>()
  private readonly boundsMs: Float64Array

  constructor (
    private readonly counter: { name: string, help: string },
    private readonly histogram: { name: string, help: string },
    private readonly outcomes: readonly string[],
    private readonly bounds: readonly number[],
    /** The type as a label: itself if whitelisted, else `other`. */
    private readonly typeLabel: (type: string) => string,
    private readonly other: string,
    registry: Registry
  ) {
    this.boundsMs = Float64Array.from(bounds, b => b * 1000)
    const self = this
    register(registry, { name: counter.name, get: async () => self.counted() })
    register(registry, { name: histogram.name, get: async () => self.timed() })
  }

  /** The id of a request type's label. */
  id (type: string): number {
    const known = this.idOfType.get(type)
    if (known !== undefined) return known
    const label = this.typeLabel(type)
    const id = this.labelId(label)
    if (label !== this.other) this.idOfType.set(type, id)
    return id
  }

  /** Whitelists changed (a reload): types are labelled again as they come. Counts so far stay. */
  relabel (): void { this.idOfType.clear() }

  count (id: number, outcome: number): void { this.series[id]!.outcomes[outcome]!++ }

  /** Adds a latency in milliseconds to an id's histogram. */
  observe (id: number, ms: number): void {
    const s = this.series[id]!
    const bounds = this.boundsMs
    let i = 0
    while (i < bounds.length && ms > bounds[i]!) i++
    s.buckets[i]!++
    s.sumMs += ms
    s.count++
  }

  private labelId (label: string): number {
    let id = this.idOfLabel.get(label)
    if (id === undefined) {
      id = this.series.length
      this.series.push(new TypeSeries(label, this.outcomes.length, this.bounds.length))
      this.idOfLabel.set(label, id)
    }
    return id
  }

  private counted (): Collected {
    const values: Value[] = []
    for (const s of this.series) {
      this.outcomes.forEach((outcome, i) => { if (s.outcomes[i]! > 0) values.push({ value: s.outcomes[i]!, labels: { type: s.type, outcome } }) })
    }
    return { ...this.counter, type: 'counter', aggregator: 'sum', values }
  }

  private timed (): Collected {
    const name = this.histogram.name
    const values: Value[] = []
    for (const s of this.series) {
      if (s.count === 0) continue
      const type = s.type
      let cumulative = 0
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i]!
        values.push({ metricName: `${name}_bucket`, value: cumulative, labels: { le, type } })
      })
      values.push({ metricName: `${name}_bucket`, value: s.count, labels: { le: '+Inf', type } },
        { metricName: `${name}_sum`, value: s.sumMs / 1000, labels: { type } },
        { metricName: `${name}_count`, value: s.count, labels: { type } })
    }
    return { ...this.histogram, type: 'histogram', aggregator: 'sum', values }
  }
}

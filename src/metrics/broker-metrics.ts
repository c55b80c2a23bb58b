/**
 * The broker's Prometheus metrics (prom-client), in a registry of its own
 * with Node's default metrics. Counters are bumped by small hooks on the
 * hot paths: per request and per update as plain numbers indexed by small
 * ids (hot-counters.ts), with no prom-client call, label or string built per
 * request; the rare ones through prom-client children; gauges are read from
 * the broker only when scraped. Labels stay bounded: request types
 * only when whitelisted (else "other"), client names only from the clients
 * list, never a session or chat id. docs/operations.md lists every metric.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { FloodWait } from '../limits/flood-waits.js'
import { answerOutcomeIndex, DISCONNECT_REASONS, errorOutcome, OUTCOME_INDEX, OUTCOMES, type Outcome } from './outcome.js'
import type { TdObject } from '../tdlib/backend.js'
import { ClientRates } from './client-rates.js'
import { IndexedCounter, RequestSeries } from './hot-counters.js'

/** What the gauges read at scrape time. */
export interface MetricsSource {
  sessionStates(): Iterable<string>
  connections(): Iterable<{ transport: string, client: string, queued: number }>
  mysql(): { up: boolean, queued: number, downSinceMs: number | undefined } | undefined
  certificateNotAfter(): Date | undefined
  floodWaits(): FloodWait[]
  /** The type as a label: itself if whitelisted, else "other". */
  typeLabel(type: string): string
  now(): number
  /** Settings have mysql / tls: only then are their gauges there. */
  readonly hasMysql: boolean
  readonly hasCertificate: boolean
}

export const SESSION_STATES = ['stopped', 'starting', 'running', 'stopping']
export const UPDATE_RESULTS = ['delivered', 'filtered', 'dropped'] as const
const TRANSPORTS = ['tcp', 'tls', 'websocket']
const UPDATE_INDEX = Object.fromEntries(UPDATE_RESULTS.map((r, i) => [r, i])) as Record<typeof UPDATE_RESULTS[number], number>
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * Node's default metrics describe the process, so one registry serves every
 * broker in it (tests start many): created on first use, never torn down.
 */
let processRegistry: Registry | undefined
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export class BrokerMetrics {
  readonly registry = new Registry()
  /** Requests per client over the last minute, for the status page (not a Prometheus series). */
  readonly clientRates = new ClientRates()
  private readonly requests: RequestSeries
  private readonly updates: IndexedCounter
  private readonly disconnects: Counter<'reason'>
  private readonly replayed: Counter
  private readonly losses: Counter
  private readonly authFailures: Counter<'reason'>
  private readonly rateLimited: Counter<'client'>

  /**
   * `enabled` false (settings without `admin`: nothing could read them): the
   * hooks return at once and the broker leaves the metrics step out.
   */
  constructor (private readonly source: MetricsSource, readonly enabled = true) {
    const registers = [this.registry]
    this.requests = new RequestSeries(
      { name: 'tdbroker_requests_total', help: 'TDLib requests by type (whitelisted types, else "other") and outcome' },
      { name: 'tdbroker_request_duration_seconds', help: 'Time from a request entering the pipeline to its answer, by type' },
      OUTCOMES, LATENCY_BUCKETS, type => source.typeLabel(type), 'other', this.registry)
    this.updates = new IndexedCounter('tdbroker_updates_total', 'Updates per connection: delivered, filtered by its policy, dropped (connection closing)', 'result', UPDATE_RESULTS, this.registry)
    this.disconnects = new Counter({ name: 'tdbroker_disconnects_total', help: 'Closed client connections by reason', labelNames: ['reason'], registers })
    this.replayed = new Counter({ name: 'tdbroker_resume_replayed_updates_total', help: 'Updates replayed to clients resuming with last_seq', registers })
    this.losses = new Counter({ name: 'tdbroker_resume_losses_total', help: 'Resumes that could not be complete (broker.updatesLost sent)', registers })
    this.authFailures = new Counter({ name: 'tdbroker_auth_failures_total', help: 'Failed authentications by error', labelNames: ['reason'], registers })
    this.rateLimited = new Counter({ name: 'tdbroker_rate_limited_total', help: 'Requests refused by a client\'s rate_limit, by client', labelNames: ['client'], registers })
    for (const reason of DISCONNECT_REASONS) this.disconnects.labels(reason).inc(0)
    this.gauges(registers)
  }

  private gauges (registers: Registry[]): void {
    const source = this.source
    new Gauge({
      name: 'tdbroker_sessions', help: 'Known sessions by state', labelNames: ['state'], registers,
      collect () {
        const counts = new Map(SESSION_STATES.map(s => [s, 0]))
        for (const state of source.sessionStates()) counts.set(state, (counts.get(state) ?? 0) + 1)
        for (const [state, n] of counts) this.labels(state).set(n)
      }
    })
    // The gauges a collect() sets are registered after it, so a scrape reads them once set.
    // (prom-client starts every metric's get() in registration order, each running its collect() first.)
    let byClient: Gauge<'client'> | undefined
    let queued: Gauge | undefined
    new Gauge({
      name: 'tdbroker_connections', help: 'Open connections by transport', labelNames: ['transport'], registers,
      collect () {
        const transports = this
        const counts = new Map(TRANSPORTS.map(t => [t, 0]))
        const clients = new Map<string, number>()
        let bytes = 0
        for (const c of source.connections()) {
          counts.set(c.transport, (counts.get(c.transport) ?? 0) + 1)
          clients.set(c.client, (clients.get(c.client) ?? 0) + 1)
          bytes += c.queued
        }
        for (const [t, n] of counts) transports.labels(t).set(n)
        // Clients that left are dropped, not kept at 0: the series set follows who is connected.
        byClient?.reset()
        for (const [client, n] of clients) byClient?.labels(client).set(n)
        queued?.set(bytes)
      }
    })
    byClient = new Gauge({ name: 'tdbroker_client_connections', help: 'Open connections by client name', labelNames: ['client'], registers })
    queued = new Gauge({ name: 'tdbroker_client_queue_bytes', help: 'Bytes waiting to be written to clients, over all connections', registers })
    if (source.hasMysql) {
      let lag: Gauge | undefined
      let depth: Gauge | undefined
      new Gauge({
        name: 'tdbroker_mysql_up', help: '1 while the MySQL mirror is connected, else 0', registers,
        collect () {
          const m = source.mysql()
          if (m === undefined) return
          this.set(m.up ? 1 : 0)
          depth?.set(m.queued)
          lag?.set(m.downSinceMs === undefined ? 0 : Math.max(0, (source.now() - m.downSinceMs) / 1000))
        }
      })
      lag = new Gauge({ name: 'tdbroker_mysql_lag_seconds', help: 'Seconds MySQL has been unreachable with writes held (0 while up)', registers })
      depth = new Gauge({ name: 'tdbroker_mysql_queue_depth', help: 'Row writes waiting for MySQL', registers })
    }
    if (source.hasCertificate) {
      new Gauge({
        name: 'tdbroker_certificate_expiry_seconds', help: 'Seconds until the TLS certificate expires (negative once expired)', registers,
        collect () {
          const notAfter = source.certificateNotAfter()
          if (notAfter !== undefined) this.set(Math.round((notAfter.getTime() - source.now()) / 1000))
        }
      })
    }
    let remaining: Gauge<'type'> | undefined
    new Gauge({
      name: 'tdbroker_flood_wait_sessions', help: 'Sessions under a FLOOD_WAIT, by request type (broker.getStatus names them)', labelNames: ['type'], registers,
      collect () {
        const sessions = this
        sessions.reset()
        remaining?.reset()
        const now = source.now()
        const byType = new Map<string, { sessions: number, left: number }>()
        for (const w of source.floodWaits()) {
          const type = source.typeLabel(w.type)
          const entry = byType.get(type) ?? { sessions: 0, left: 0 }
          entry.sessions++
          entry.left = Math.max(entry.left, Math.ceil((w.until - now) / 1000))
          byType.set(type, entry)
        }
        for (const [type, e] of byType) {
          sessions.labels(type).set(e.sessions)
          remaining?.labels(type).set(e.left)
        }
      }
    })
    remaining = new Gauge({ name: 'tdbroker_flood_wait_remaining_seconds', help: 'Longest FLOOD_WAIT still to run, by request type', labelNames: ['type'], registers })
  }

  /** Counts a request refused before the pipeline (not timed). */
  request (type: string, outcome: Outcome): void {
    if (this.enabled) this.requests.count(this.requests.id(type), OUTCOME_INDEX[outcome])
  }

  /**
   * A request enters the pipeline: its type's id, for answered() or
   * failed(). Its client's rate is counted with the start time that
   * startedMs() gives (the one clock read at the start).
   */
  typeId (type: string): number { return this.requests.id(type) }

  /** The start of a request of `client` (performance.now()), counted in its request rate. */
  startedMs (client: string): number {
    const now = performance.now()
    this.clientRates.hit(client, now)
    return now
  }

  /** A request from the pipeline answered: counted by outcome, timed (the one clock read at the end). */
  answered (typeId: number, answer: TdObject, startMs: number): void {
    this.requests.count(typeId, answerOutcomeIndex(answer))
    this.requests.observe(typeId, performance.now() - startMs)
  }

  /** A request from the pipeline ended in an error (refused by a step, or the broker failed). */
  failed (typeId: number, e: unknown, startMs: number, client: string): void {
    const outcome = errorOutcome(e)
    this.requests.count(typeId, OUTCOME_INDEX[outcome])
    this.requests.observe(typeId, performance.now() - startMs)
    if (outcome === 'rate_limited') this.rateLimit(client)
  }

  /** The whitelists changed (reload): request types get their label again. */
  relabel (): void { this.requests.relabel() }

  update (result: typeof UPDATE_RESULTS[number]): void { if (this.enabled) this.updates.inc(UPDATE_INDEX[result]) }
  disconnect (reason: string): void { if (this.enabled) this.disconnects.labels(reason).inc() }
  resumed (replayed: number, complete: boolean): void {
    if (!this.enabled) return
    if (replayed > 0) this.replayed.inc(replayed)
    if (!complete) this.losses.inc()
  }

  authFailure (reason: string): void { if (this.enabled) this.authFailures.labels(reason).inc() }
  rateLimit (client: string): void { if (this.enabled) this.rateLimited.labels(client).inc() }

  /** The scrape: Prometheus text format. */
  async text (): Promise<string> { return await Registry.merge([processMetrics(), this.registry]).metrics() }
  get contentType (): string { return this.registry.contentType }
}

export { OUTCOMES }

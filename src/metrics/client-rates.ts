/**
 * Requests per client over the last minute, for the status page: one ring
 * of 60 one-second slots per client name. Names come from the clients list
 * (or "anonymous"), so the map stays as small as the list. Not a Prometheus
 * metric: rate(tdbroker_requests_total) has no client label on purpose.
 */

const SLOTS = 60

interface Ring { counts: Uint32Array, second: number, total: number }

export interface ClientRate {
  /** Requests in the last 60 seconds (the current second included). */
  last_minute: number
  /** last_minute / 60, rounded to 0.01. */
  per_second: number
  /** Requests since the broker started. */
  total: number
}

export class ClientRates {
  private readonly rings = new Map<string, Ring>()
  /** The last client counted: a connection's requests come in runs, and its name is the same string each time (no lookup then). */
  private lastName: string | undefined
  private lastRing: Ring | undefined

  /** Counts one request of `client` at `nowMs` (a monotonic clock: performance.now()). */
  hit (client: string, nowMs: number): void {
    const second = Math.floor(nowMs / 1000)
    let ring = client === this.lastName ? this.lastRing : this.rings.get(client)
    if (ring === undefined) {
      ring = { counts: new Uint32Array(SLOTS), second, total: 0 }
      this.rings.set(client, ring)
    }
    this.lastName = client
    this.lastRing = ring
    if (second !== ring.second) advance(ring, second)
    ring.counts[second % SLOTS]!++
    ring.total++
  }

  /** The rate of `client` at `nowMs`; zeros for a client never seen. */
  rate (client: string, nowMs: number): ClientRate {
    const ring = this.rings.get(client)
    if (ring === undefined) return { last_minute: 0, per_second: 0, total: 0 }
    advance(ring, Math.floor(nowMs / 1000))
    let sum = 0
    for (const n of ring.counts) sum += n
    return { last_minute: sum, per_second: Math.round(sum / SLOTS * 100) / 100, total: ring.total }
  }
}

/** Clears the slots of the seconds that passed since the ring was last touched. */
function advance (ring: Ring, second: number): void {
  if (second <= ring.second) return
  if (second - ring.second >= SLOTS) ring.counts.fill(0)
  else for (let s = ring.second + 1; s <= second; s++) ring.counts[s % SLOTS] = 0
  ring.second = second
}

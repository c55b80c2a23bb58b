/**
 * Slows down repeated failed authentications from one address. After the
 * n-th failure, each further attempt from that address waits base * 2^(n-1)
 * (capped at maxDelayMs) before its key is even checked, and concurrent
 * attempts queue behind one another, so opening many connections does not
 * buy more guesses. An attempt that would have to wait longer than
 * maxQueueMs is refused at once. A success forgets the address; so does
 * quiet for forgetAfterMs.
 *
 * Memory is bounded: at most maxAddresses entries; beyond that the entry
 * touched longest ago is dropped.
 */

export interface ThrottleOptions {
  baseDelayMs: number
  maxDelayMs: number
  maxQueueMs: number
  forgetAfterMs: number
  maxAddresses: number
  now: () => number
}

export const DEFAULT_THROTTLE: ThrottleOptions = Object.freeze({
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  maxQueueMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxAddresses: 10_000,
  now: () => Date.now()
})

interface Entry { failures: number, last: number, nextSlot: number }

export class AuthThrottle {
  private readonly options: ThrottleOptions
  private readonly entries = new Map<string, Entry>()

  constructor (options: Partial<ThrottleOptions> = {}) {
    this.options = { ...DEFAULT_THROTTLE, ...options }
  }

  get size (): number { return this.entries.size }

  /** Failures recorded for an address (0 once forgotten). */
  failures (address: string): number { return this.current(address)?.failures ?? 0 }

  /** The delay after `failures` failures. */
  delayAfter (failures: number): number {
    if (failures <= 0) return 0
    return Math.min(this.options.baseDelayMs * 2 ** Math.min(failures - 1, 30), this.options.maxDelayMs)
  }

  /**
   * Milliseconds an attempt from `address` must wait before it is checked,
   * reserving its place in the queue; undefined when it is refused outright.
   */
  admit (address: string): number | undefined {
    const entry = this.current(address)
    if (entry === undefined) return 0
    const now = this.options.now()
    const wait = Math.max(0, entry.nextSlot - now)
    if (wait > this.options.maxQueueMs) return undefined
    entry.nextSlot = now + wait + this.delayAfter(entry.failures)
    return wait
  }

  /** Records a failure; returns how many this address has now. */
  fail (address: string): number {
    const now = this.options.now()
    const entry = this.current(address) ?? { failures: 0, last: now, nextSlot: now }
    entry.failures++
    entry.last = now
    entry.nextSlot = Math.max(entry.nextSlot, now + this.delayAfter(entry.failures))
    // Re-inserting keeps the map in order of last use, so the oldest entry is evicted first.
    this.entries.delete(address)
    this.entries.set(address, entry)
    while (this.entries.size > this.options.maxAddresses) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
    return entry.failures
  }

  succeed (address: string): void { this.entries.delete(address) }

  private current (address: string): Entry | undefined {
    const entry = this.entries.get(address)
    if (entry === undefined) return undefined
    const now = this.options.now()
    if (now - entry.last > this.options.forgetAfterMs && entry.nextSlot <= now) {
      this.entries.delete(address)
      return undefined
    }
    return entry
  }
}

/** The address part of a transport's "address:port" remote, for grouping attempts. */
export function remoteAddress (remote: string): string {
  const colon = remote.lastIndexOf(':')
  if (colon <= 0) return remote
  const host = remote.slice(0, colon)
  return host.startsWith('::ffff:') ? host.slice(7) : host
}

/**
 * Slows down repeated failed authentications, counted both per remote
 * address and per client name: guessing one client's key from many
 * addresses is as slow as from one, and a flood of wrong keys for one name
 * from one address does not slow down another client elsewhere.
 *
 * Attempts that share an address or a name are checked one at a time, in
 * the order they came (so opening many connections buys no parallel
 * guesses), and each waits, before its key is even checked, base * 2^(n-1)
 * (capped at maxDelayMs) after the last of the n failures of its address or
 * name, whichever is longer. An attempt that would queue longer than
 * maxQueueMs is refused at once. A success forgets its address and name;
 * so does quiet for forgetAfterMs.
 *
 * Memory is bounded: failures of addresses and of names that are no client
 * are kept for at most maxAddresses keys each (beyond that the key touched
 * longest ago is dropped); names of configured clients are kept apart, so a
 * spray of made-up names cannot push out the count of a real one. Queues
 * exist only while attempts wait in them.
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

/** Who an attempt is: where it comes from, and which client name it claims. */
export interface AttemptKeys {
  address: string
  /** The name as sent (cut to 64 characters), or undefined when it was not a string. */
  name: string | undefined
  /** Whether the name is a configured client (its count is never evicted by others). */
  known: boolean
}

/** An attempt's turn: it must end with exactly one of fail, succeed or release. */
export interface Turn {
  /** Milliseconds this attempt waited for its turn and its delay. */
  readonly waited: number
  /** Whether it had to wait at all: queued behind another attempt, or slowed down by failures. */
  readonly delayed: boolean
  /** Records a failure for its address and name; returns the larger of their counts. Ends the turn. */
  fail(): number
  /** Forgets the failures of its address and name. Ends the turn. */
  succeed(): void
  /** Ends the turn without a result (the connection went away). */
  release(): void
}

/** Thrown by acquire when the queue is too long: the attempt is refused outright. */
export class ThrottleRefused extends Error {
  constructor (readonly failures: number) { super('too many failed authentications queued') }
}

interface Entry { failures: number, last: number }

/** One attempt at a time per key, first come first served. */
interface Lane { busy: boolean, waiting: Array<() => void> }

/** Failure counts per key, in order of last use. */
class Ledger {
  private readonly entries = new Map<string, Entry>()
  constructor (private readonly options: ThrottleOptions, private readonly max: number) {}

  get size (): number { return this.entries.size }

  get (key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (this.options.now() - entry.last > this.options.forgetAfterMs) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  fail (key: string): number {
    const now = this.options.now()
    const entry = this.get(key) ?? { failures: 0, last: now }
    entry.failures++
    entry.last = now
    // Re-inserting keeps the map in order of last use, so the oldest entry is evicted first.
    this.entries.delete(key)
    this.entries.set(key, entry)
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string)
    return entry.failures
  }

  forget (key: string): void { this.entries.delete(key) }
}

export class AuthThrottle {
  private readonly options: ThrottleOptions
  private readonly addresses: Ledger
  private readonly names: Ledger
  /** Names of configured clients: bounded by the settings, not by traffic. */
  private readonly clients: Ledger
  private readonly lanes = new Map<string, Lane>()

  constructor (options: Partial<ThrottleOptions> = {}) {
    this.options = { ...DEFAULT_THROTTLE, ...options }
    this.addresses = new Ledger(this.options, this.options.maxAddresses)
    this.names = new Ledger(this.options, this.options.maxAddresses)
    this.clients = new Ledger(this.options, Number.MAX_SAFE_INTEGER)
  }

  /** Addresses with failures on record. */
  get size (): number { return this.addresses.size }

  /** Failures recorded for an address (0 once forgotten). */
  failures (address: string): number { return this.addresses.get(address)?.failures ?? 0 }

  /** Failures recorded for a client name (0 once forgotten). */
  nameFailures (name: string, known = true): number { return this.ledgerOf(known).get(name)?.failures ?? 0 }

  /** The delay after `failures` failures. */
  delayAfter (failures: number): number {
    if (failures <= 0) return 0
    return Math.min(this.options.baseDelayMs * 2 ** Math.min(failures - 1, 30), this.options.maxDelayMs)
  }

  /**
   * Waits for the attempt's turn on its address and its name, then for the
   * delay their failures earned. Rejects with ThrottleRefused when the queue
   * ahead is already longer than maxQueueMs, and with the signal's reason
   * when `signal` aborts while it waits (it then leaves the queue).
   */
  async acquire (keys: AttemptKeys, signal?: AbortSignal): Promise<Turn> {
    const started = this.options.now()
    const lanes = this.laneKeys(keys)
    const estimate = Math.max(...lanes.map(lane => (this.queued(lane) + 1) * this.delayAfter(this.count(lane, keys))))
    if (estimate > this.options.maxQueueMs) throw new ThrottleRefused(this.worst(keys))
    const held: string[] = []
    let delayed = false
    let done = false
    const release = (): void => {
      if (done) return
      done = true
      for (const lane of held) this.leave(lane)
    }
    try {
      // Always in the same order (address, then name), so two attempts never wait on each other.
      for (const lane of lanes) {
        if (await this.enter(lane, signal)) delayed = true
        held.push(lane)
      }
      const wait = Math.max(0, ...lanes.map(lane => {
        const entry = this.entryOf(lane, keys)
        return entry === undefined ? 0 : entry.last + this.delayAfter(entry.failures) - this.options.now()
      }))
      if (wait > 0) {
        delayed = true
        await delay(wait, signal)
      }
    } catch (e) {
      release()
      throw e
    }
    const waited = this.options.now() - started
    return {
      waited,
      delayed,
      fail: () => {
        const failures = Math.max(this.addresses.fail(keys.address), keys.name === undefined ? 0 : this.ledgerOf(keys.known).fail(keys.name))
        release()
        return failures
      },
      succeed: () => {
        this.addresses.forget(keys.address)
        if (keys.name !== undefined) this.ledgerOf(keys.known).forget(keys.name)
        release()
      },
      release
    }
  }

  /** Forgets the failures of an address (and of a name: a configured client's and any other). */
  succeed (address: string, name?: string): void {
    this.addresses.forget(address)
    if (name === undefined) return
    this.clients.forget(name)
    this.names.forget(name)
  }

  /** The larger failure count of an attempt's address and name. */
  worst (keys: AttemptKeys): number {
    return Math.max(this.failures(keys.address), keys.name === undefined ? 0 : this.nameFailures(keys.name, keys.known))
  }

  private ledgerOf (known: boolean): Ledger { return known ? this.clients : this.names }

  private laneKeys (keys: AttemptKeys): string[] {
    return keys.name === undefined ? [`a:${keys.address}`] : [`a:${keys.address}`, `n:${keys.name}`]
  }

  private entryOf (lane: string, keys: AttemptKeys): Entry | undefined {
    return lane.startsWith('a:') ? this.addresses.get(keys.address) : this.ledgerOf(keys.known).get(keys.name ?? '')
  }

  private count (lane: string, keys: AttemptKeys): number { return this.entryOf(lane, keys)?.failures ?? 0 }

  private queued (lane: string): number {
    const l = this.lanes.get(lane)
    return l === undefined ? 0 : l.waiting.length + (l.busy ? 1 : 0)
  }

  /** Takes the lane of `key`, waiting behind the attempts in it; says whether it had to wait. */
  private async enter (key: string, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted()
    const lane = this.lanes.get(key)
    if (lane === undefined) {
      this.lanes.set(key, { busy: true, waiting: [] })
      return false
    }
    if (!lane.busy) {
      lane.busy = true
      return false
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = lane.waiting.indexOf(go)
        if (i !== -1) lane.waiting.splice(i, 1)
        reject(signal?.reason)
      }
      // The lane is handed over still busy, so nobody overtakes.
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      lane.waiting.push(go)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    return true
  }

  private leave (key: string): void {
    const lane = this.lanes.get(key)
    if (lane === undefined) return
    const next = lane.waiting.shift()
    if (next !== undefined) next()
    else this.lanes.delete(key)
  }
}

async function delay (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The address part of a transport's "address:port" remote, for grouping attempts. */
export function remoteAddress (remote: string): string {
  const colon = remote.lastIndexOf(':')
  if (colon <= 0) return remote
  const host = remote.slice(0, colon)
  return host.startsWith('::ffff:') ? host.slice(7) : host
}

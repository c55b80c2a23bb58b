/** Reconnect delays: exponential backoff with jitter (each delay is half to all of its ceiling), so many clients that lost one broker do not come back in step. */
export interface BackoffOptions {
  /** First delay, ms (default 250). */
  initialDelayMs?: number
  /** Longest delay, ms (default 15000). */
  maxDelayMs?: number
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number
}

export class Backoff {
  private attempt = 0
  private readonly initial: number
  private readonly max: number
  readonly maxAttempts: number

  constructor (options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initial = options.initialDelayMs ?? 250
    this.max = options.maxDelayMs ?? 15_000
    this.maxAttempts = options.maxAttempts ?? Infinity
  }

  get attempts (): number { return this.attempt }

  /** The next delay: a random value between half and all of min(max, initial × 2^attempt). */
  next (): number {
    const ceiling = Math.min(this.max, this.initial * 2 ** Math.min(this.attempt, 30))
    this.attempt++
    return Math.round(ceiling * (0.5 + this.random() * 0.5))
  }

  reset (): void { this.attempt = 0 }
}

/**
 * A token bucket: `rate` tokens a second, holding at most `burst`. Time
 * comes from an injectable clock (milliseconds) so tests need no waiting.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor (readonly rate: number, readonly burst: number, private readonly clock: () => number) {
    this.tokens = burst
    this.last = clock()
  }

  private refill (): void {
    const now = this.clock()
    // A clock that steps back (NTP) refills nothing rather than draining.
    if (now > this.last) this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / 1000 * this.rate)
    this.last = Math.max(this.last, now)
  }

  /** Whether a token is there now (without taking it). */
  available (): boolean {
    this.refill()
    return this.tokens >= 1
  }

  /** Takes a token: call only after available() said yes. */
  take (): void { this.tokens -= 1 }

  /** Whole seconds until a token is there (at least 1 while none is). */
  retryAfter (): number {
    this.refill()
    if (this.tokens >= 1) return 0
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate))
  }
}

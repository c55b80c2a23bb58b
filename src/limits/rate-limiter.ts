/**
 * Per-client rate limits (a client's scope.rate_limit): one bucket for all
 * its requests and one per listed request type, shared by every connection
 * of that client and every session. A request takes a token from each
 * bucket that applies, or from none: a refused request costs nothing.
 */
import type { BucketSettings, RateLimitSettings } from '../settings/types.js'
import { TokenBucket } from './token-bucket.js'

/** Why a request was refused: which bucket, and when to try again. */
export interface RateRefusal {
  /** "overall" or the request type whose own limit it hit. */
  readonly limit: string
  readonly retryAfter: number
  readonly rate: number
  readonly burst: number
}

interface ClientBuckets {
  /** The settings they were built from: a reload with other limits starts fresh ones. */
  readonly from: string
  readonly overall: TokenBucket | undefined
  readonly perType: Map<string, TokenBucket>
}

const burstOf = (b: BucketSettings): number => b.burst ?? Math.max(1, Math.ceil(b.requests_per_second))

export class RateLimiter {
  private readonly clients = new Map<string, ClientBuckets>()

  constructor (private readonly clock: () => number = Date.now) {}

  /**
   * Takes a token for `type` from `client`'s buckets, or says why not.
   * Returns undefined when the request may go.
   */
  check (client: string, limits: RateLimitSettings | undefined, type: string): RateRefusal | undefined {
    if (limits === undefined) return undefined
    const buckets = this.bucketsOf(client, limits)
    const own = limits.per_type !== undefined && Object.hasOwn(limits.per_type, type) ? this.typeBucket(buckets, type, limits.per_type[type]!) : undefined
    for (const [name, bucket] of [['overall', buckets.overall], [type, own]] as const) {
      if (bucket !== undefined && !bucket.available()) {
        return { limit: name, retryAfter: bucket.retryAfter(), rate: bucket.rate, burst: bucket.burst }
      }
    }
    buckets.overall?.take()
    own?.take()
    return undefined
  }

  private bucketsOf (client: string, limits: RateLimitSettings): ClientBuckets {
    const from = JSON.stringify(limits)
    let buckets = this.clients.get(client)
    if (buckets === undefined || buckets.from !== from) {
      const rate = limits.requests_per_second
      const overall = rate === undefined ? undefined : new TokenBucket(rate, burstOf({ requests_per_second: rate, ...(limits.burst === undefined ? {} : { burst: limits.burst }) }), this.clock)
      buckets = { from, overall, perType: new Map() }
      this.clients.set(client, buckets)
    }
    return buckets
  }

  private typeBucket (buckets: ClientBuckets, type: string, settings: BucketSettings): TokenBucket {
    let bucket = buckets.perType.get(type)
    if (bucket === undefined) {
      bucket = new TokenBucket(settings.requests_per_second, burstOf(settings), this.clock)
      buckets.perType.set(type, bucket)
    }
    return bucket
  }
}

/**
 * The pipeline steps of the limits: per-client rate limits (right after the
 * policy step, so a refused request costs no more work) and FLOOD_WAIT
 * bookkeeping with its optional guard.
 */
import type { ClientDirectory } from '../clients/directory.js'
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import { isTdError, type TdObject } from '../tdlib/backend.js'
import { retryAfterOf, type FloodWaits } from './flood-waits.js'
import type { RateLimiter } from './rate-limiter.js'

/** Refuses a request over its client's scope.rate_limit with RATE_LIMITED and retry_after; it never reaches TDLib. */
export function rateLimitStep (limiter: RateLimiter, clients: () => ClientDirectory): Step {
  // Plain functions, not `async` (both steps here): a request they let pass goes on with next()'s own
  // promise, without a promise and microtask turns of their own; a refusal is a rejection (the Step contract).
  return (ctx, next) => {
    const limits = clients().byName(ctx.client.name)?.settings.scope.rate_limit
    if (limits === undefined) return next()
    const type = ctx.request['@type'] as string
    const refusal = limiter.check(ctx.client.name, limits, type)
    if (refusal === undefined) return next()
    const which = refusal.limit === 'overall' ? 'its rate_limit' : `its rate_limit for ${type}`
    return Promise.reject(new BrokerError('RATE_LIMITED',
      `client ${ctx.client.name} is over ${which} (${refusal.rate} requests per second, burst ${refusal.burst}); retry after ${refusal.retryAfter} s`,
      { retry_after: refusal.retryAfter }))
  }
}

/**
 * Gives TDLib's 429 answers a retry_after field and records the wait; with
 * `guard()` true, a request of a type the session is waiting on is answered
 * FLOOD_WAIT_GUARDED with the time left, without reaching TDLib.
 */
export function floodWaitStep (waits: FloodWaits, guard: () => boolean): Step {
  return (ctx, next) => {
    const type = ctx.request['@type'] as string
    if (guard()) {
      const left = waits.remaining(ctx.session.id, type)
      if (left > 0) {
        return Promise.reject(new BrokerError('FLOOD_WAIT_GUARDED',
          `Too Many Requests: retry after ${left} (session ${ctx.session.id} is under a FLOOD_WAIT for ${type}; flood_wait_guard held the request)`,
          { retry_after: left }))
      }
    }
    return next().then(answer => {
      if (!isTdError(answer) || answer.code !== 429) return answer
      const seconds = retryAfterOf(answer.message)
      if (seconds === undefined) return answer
      waits.record(ctx.session.id, type, seconds)
      ctx.log.warn({ session: ctx.session.id, type, retry_after: seconds }, 'FLOOD_WAIT from Telegram')
      const withField: TdObject = { ...answer, retry_after: seconds }
      return withField
    })
  }
}

/**
 * The first pipeline step: counts every request by type and outcome and
 * times it. Outermost, so refusals by later steps are counted too.
 */
import type { Step } from '../server/pipeline.js'
import type { BrokerMetrics } from './broker-metrics.js'
import { answerOutcome, errorOutcome } from './outcome.js'

export function metricsStep (metrics: BrokerMetrics): Step {
  return async (ctx, next) => {
    const type = ctx.request['@type'] as string
    const start = performance.now()
    metrics.clientRates.hit(ctx.client.name, start)
    try {
      const answer = await next()
      metrics.request(type, answerOutcome(answer), start)
      return answer
    } catch (e) {
      const outcome = errorOutcome(e)
      metrics.request(type, outcome, start)
      if (outcome === 'rate_limited') metrics.rateLimit(ctx.client.name)
      throw e
    }
  }
}

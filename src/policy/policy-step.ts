/**
 * The first pipeline step: reserved and non-whitelisted requests never reach
 * TDLib. The connection audits the refusal (with the client's name).
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import { RESERVED_REQUESTS } from './policy.js'

export const policyStep: Step = async (ctx, next) => {
  const type = ctx.request['@type']
  if (RESERVED_REQUESTS.has(type)) throw new BrokerError('REQUEST_RESERVED', `${type} is reserved for the broker`)
  if (!ctx.client.policy.allowsRequest(type)) throw new BrokerError('REQUEST_NOT_ALLOWED', `${type} is not in allowed_requests`)
  return await next()
}

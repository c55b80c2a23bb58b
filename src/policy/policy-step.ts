/**
 * The first pipeline step: reserved and non-whitelisted requests never reach
 * TDLib, nor login and account-wide requests the client's scope does not
 * allow (account.ts). The connection audits the refusal (with the client's name).
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import { checkAccountRequest } from './account.js'
import { RESERVED_REQUESTS } from './policy.js'

export const policyStep: Step = async (ctx, next) => {
  const type = ctx.request['@type']
  if (RESERVED_REQUESTS.has(type)) throw new BrokerError('REQUEST_RESERVED', `${type} is reserved for the broker`)
  if (!ctx.client.policy.allowsRequest(type)) throw new BrokerError('REQUEST_NOT_ALLOWED', `${type} is not in allowed_requests`)
  checkAccountRequest(ctx.request, ctx.client.policy)
  return await next()
}

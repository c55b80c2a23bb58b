/**
 * The first pipeline step: reserved and non-whitelisted requests never reach
 * TDLib, nor login and account-wide requests the client's scope does not
 * allow (account.ts). The connection audits the refusal (with the client's name).
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import { checkAccountRequest } from './account.js'
import { RESERVED_REQUESTS } from './policy.js'

/**
 * A plain function, not `async`: an allowed request goes on with next()'s own
 * promise (an async frame cost every request a promise and microtask turns);
 * a refusal is still a rejection, never a throw (the Step contract).
 */
export const policyStep: Step = (ctx, next) => {
  try {
    const type = ctx.request['@type']
    if (RESERVED_REQUESTS.has(type)) throw new BrokerError('REQUEST_RESERVED', `${type} is reserved for the broker`)
    if (!ctx.client.policy.allowsRequest(type)) throw new BrokerError('REQUEST_NOT_ALLOWED', `${type} is not in allowed_requests`)
    checkAccountRequest(ctx.request, ctx.client.policy)
  } catch (e) {
    return Promise.reject(e)
  }
  return next()
}

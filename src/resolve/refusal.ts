import type { TdError } from '../tdlib/backend.js'

/**
 * TDLib's answer to a resolution call that failed for a reason other than
 * "no such user" (flood wait, network, not logged in): the client gets it
 * unchanged, as the answer to its request.
 */
export class TdlibRefusal extends Error {
  constructor (readonly answer: TdError) { super(answer.message) }
}

/**
 * A TDLib request goes through a chain of steps before TDLib sees it
 * (policy, then later resolution of usernames and formatting of text), in
 * the style of a middleware chain: each step may change the request, answer
 * it itself, or throw a BrokerError that the client receives.
 */
import type { Logger } from '../log/logger.js'
import type { Session } from '../session/session.js'
import type { TdObject } from '../tdlib/backend.js'
import type { Policy } from '../policy/policy.js'

/** Who is asking: the identity of a connection. */
export interface ClientIdentity {
  /** A name for logs and audit ("anonymous" while the listener trusts every connection). */
  readonly name: string
  /** Connection id, unique for the broker's lifetime. */
  readonly connectionId: string
  readonly remote: string
  readonly policy: Policy
}

export interface RequestContext {
  readonly client: ClientIdentity
  readonly session: Session
  /** The request as TDLib will receive it (no @extra, no @session). Steps may replace it. */
  request: TdObject
  readonly log: Logger
}

export type Step = (ctx: RequestContext, next: () => Promise<TdObject>) => Promise<TdObject>

/** Runs steps in order; the last one reached invokes TDLib. */
export function compose (steps: readonly Step[]): (ctx: RequestContext) => Promise<TdObject> {
  return async ctx => {
    const run = async (i: number): Promise<TdObject> => {
      const step = steps[i]
      if (step === undefined) return await ctx.session.invoke(ctx.request)
      return await step(ctx, async () => await run(i + 1))
    }
    return await run(0)
  }
}

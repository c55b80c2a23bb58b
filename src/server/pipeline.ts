/**
 * A TDLib request goes through a chain of steps before TDLib sees it
 * (policy, then later resolution of usernames and formatting of text), in
 * the style of a middleware chain: each step may change the request, answer
 * it itself, or throw a BrokerError that the client receives.
 */
import type { Logger } from '../log/logger.js'
import type { Session } from '../session/session.js'
import type { TdObject } from '../tdlib/backend.js'
import type { ClientPolicy } from '../policy/policy.js'

/**
 * How a connection proved who it is: `open` (the broker has no clients list
 * and trusts every connection), `pending` (it must still authenticate),
 * `key` (broker.authenticate) or `certificate` (TLS client certificate).
 */
export type AuthMethod = 'open' | 'pending' | 'key' | 'certificate'

/** Who is asking: the identity of a connection. */
export interface ClientIdentity {
  /** The client's name for logs and audit ("anonymous" without a clients list, "unauthenticated" while pending). */
  readonly name: string
  /** Connection id, unique for the broker's lifetime. */
  readonly connectionId: string
  readonly remote: string
  readonly auth: AuthMethod
  /** The global whitelists narrowed by the client's scope. */
  readonly policy: ClientPolicy
}

export interface RequestContext {
  readonly client: ClientIdentity
  readonly session: Session
  /** The request as TDLib will receive it (no @extra, no @session). Steps may replace it. */
  request: TdObject
  readonly log: Logger
}

export type Step = (ctx: RequestContext, next: () => Promise<TdObject>) => Promise<TdObject>

/**
 * Runs steps in order; the last one reached invokes TDLib. The chain is
 * built from plain functions that hand promises through: each layer of
 * `async`/`await` here would cost every request a promise and a turn of the
 * microtask queue more.
 */
export function compose (steps: readonly Step[]): (ctx: RequestContext) => Promise<TdObject> {
  const run = (ctx: RequestContext, i: number): Promise<TdObject> => {
    const step = steps[i]
    if (step === undefined) return ctx.session.invoke(ctx.request)
    try {
      return step(ctx, () => run(ctx, i + 1))
    } catch (e) {
      // A step that throws before its first await: reported as a rejection, like an async step's.
      return Promise.reject(e)
    }
  }
  return ctx => run(ctx, 0)
}

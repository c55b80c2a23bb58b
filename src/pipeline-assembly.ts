/**
 * The request pipeline, put together in one place: which steps a TDLib
 * request passes and in which order. The order is the design:
 *
 * 1. policy: reserved and non-whitelisted requests stop here, before any work;
 *    then the local-file check (`early`): no path of the broker's reaches TDLib;
 * 2. resolve: request_peers usernames and phone numbers become ids, in the
 *    request's own session (a client with a chat scope only among its chats);
 * 3. chat scope: needs the resolved ids, and refuses before anything costly;
 * 4. format: parses format_fields text, only for requests that passed 1-3,
 *    so a refused request never costs a parse;
 * 5. the chat scope again, on what formatting made: a Markdown link to
 *    tg://user?id=N becomes a mention of user N.
 *
 * Extra steps (tests, benchmarks) run after these, right before TDLib.
 */
import { formatStep } from './format/format-step.js'
import type { Logger } from './log/logger.js'
import { chatScopeStep, formattedChatScopeStep } from './policy/chat-step.js'
import { policyStep } from './policy/policy-step.js'
import { ResolveCache, type ResolutionStore } from './resolve/cache.js'
import { resolveStep } from './resolve/resolve-step.js'
import { PeerResolver } from './resolve/resolver.js'
import type { RequestContext, Step } from './server/pipeline.js'
import type { Settings } from './settings/types.js'
import type { TdBackend } from './tdlib/backend.js'

/**
 * The steps in order. `settings` is a getter so resolution and formatting
 * follow a settings reload; `store` keeps the resolution records; `backend`
 * parses text (parseTextEntities runs offline, outside any session).
 */
export function requestSteps (settings: () => Settings, store: ResolutionStore, backend: Pick<TdBackend, 'execute'>, log: Logger, extra: readonly Step[] = [], early: readonly Step[] = []): Step[] {
  const cache = new ResolveCache(store, () => settings().resolve_cache_ttl)
  const resolver = new PeerResolver(cache, log.child({ component: 'resolve' }))
  return [
    policyStep,
    ...early,
    // Each step is passed by where it would do nothing at all, without the cost of its async frame.
    unless(ctx => !Object.hasOwn(settings().request_peers, ctx.request['@type']), resolveStep(settings, resolver)),
    unless(ctx => ctx.client.policy.chats === undefined && ctx.client.policy.login, chatScopeStep),
    unless(() => Object.keys(settings().format_fields).length === 0, formatThenScope(formatStep(settings, backend))),
    ...extra
  ]
}

/**
 * `step`, except for requests where `idle` says it has nothing to do: those
 * go straight to the next step. `idle` must hold only where the step would
 * pass the request and its answer through unchanged (its own first checks:
 * no request_peers paths for the type; no chat scope and the full login
 * flow; no format_fields).
 */
function unless (idle: (ctx: RequestContext) => boolean, step: Step): Step {
  return (ctx, next) => idle(ctx) ? next() : step(ctx, next)
}

/**
 * Formatting, then the chat scope on what it made (5. above); when
 * formatting changed nothing, step 3 has already checked the very same
 * request, and the second walk is skipped. (Step 3 lets a plain string stand
 * where a formattedText belongs; left unformatted, TDLib itself refuses the
 * request as unparsable: "Expected Object, but receive String".)
 */
function formatThenScope (format: Step): Step {
  return (ctx, next) => {
    const before = ctx.request
    return format(ctx, () => ctx.request === before ? next() : formattedChatScopeStep(ctx, next))
  }
}

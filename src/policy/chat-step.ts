/**
 * The last pipeline step (after usernames are resolved to ids): a client
 * limited to some chats may only send requests whose every id maps to one
 * of those chats (chat-check.ts), and gets only answers of the allowed types,
 * cut down to them (answers.ts). What it is shown teaches it file, call and
 * group call ids it may use next (seen-ids.ts). A refusal names an id only
 * when the client itself wrote it: an id derived from what it wrote (a
 * supergroup's chat id) or found by resolution is never told.
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import type { TdObject } from '../tdlib/backend.js'
import { filterAnswer } from './answers.js'
import { checkRequest } from './chat-check.js'
import { requestChats } from './chats.js'
import { accountKind } from './account.js'
import { OK_REQUESTS } from './tdlib-fields.js'

const okRequests = new Set(OK_REQUESTS)

export const chatScopeStep: Step = async (ctx, next) => {
  const policy = ctx.client.policy
  const chats = policy.chats
  if (chats === undefined) {
    // Without chats, `login: false` still keeps the login flow (the QR link, code info, hints) out of answers, as out of updates.
    const answer = await next()
    return !policy.login && answer['@type'].startsWith('authorizationState') ? { '@type': answer['@type'] } : answer
  }
  const session = ctx.session.id
  const seen = policy.seen
  const type = ctx.request['@type']
  // Login and account-wide requests carry credentials and settings, not chats; the policy step let
  // through only those the client's scope allows (account.ts).
  const accountWide = accountKind(type) !== undefined
  let anchored = false
  let about: number | undefined
  if (!accountWide) {
    // The name rules of chats.ts first (any key, at any depth), then the schema's (every declared field).
    const named = requestChats(ctx.request)
    if (typeof named === 'string') throw new BrokerError('CHAT_NOT_ALLOWED', named)
    const outside = named.find(id => !chats.has(id))
    if (outside !== undefined) {
      throw new BrokerError('CHAT_NOT_ALLOWED', written(ctx.request, outside)
        ? `chat ${outside} is not one of this client's chats`
        : `${type} names a chat that is not one of this client's chats`)
    }
    // A plain string where a formattedText belongs is left to format_fields; the step after it checks what it made.
    const checked = checkRequest(ctx.request, chats, (kind, id) => seen?.chatOf(session, kind, id), { plainText: true })
    anchored = checked.anchored
    about = checked.chat
  }
  // An action that names none of the client's chats acts on the account as a whole: not something
  // a client limited to some chats may do.
  if (!anchored && !accountWide && okRequests.has(type)) {
    throw new BrokerError('CHAT_NOT_ALLOWED', `${type} names none of this client's chats, so its effect cannot be limited to them`)
  }
  const answer = await next()
  // What the scope allows as login or account-wide request is answered about the account, as allowed.
  if (accountWide) return answer
  const verdict = filterAnswer(answer, { chats, request: ctx.request, anchored, login: policy.login })
  if ('withheld' in verdict) {
    if (verdict.withheld === 'other-chat') throw new BrokerError('CHAT_NOT_ALLOWED', 'the answer is about a chat outside this client\'s chats')
    throw new BrokerError('ANSWER_WITHHELD', `an answer of type ${answer['@type']} to ${type} is not one a client limited to some chats may receive`)
  }
  // Files in the answer belong to the one chat the request was about (a profile photo of the user of a private chat, ...).
  seen?.note(session, verdict.answer, about)
  return verdict.answer
}

/** Whether `id` is written as such (a number or a digit string) somewhere in `request`. */
function written (request: TdObject, id: number): boolean {
  const text = String(id)
  const walk = (value: unknown, depth: number): boolean => {
    if (value === id || value === text) return true
    if (value === null || typeof value !== 'object' || depth > 64) return false
    return Object.values(value).some(inner => walk(inner, depth + 1))
  }
  return walk(request, 0)
}

/**
 * Runs after format_fields parsing: the entities TDLib made from the text (a
 * Markdown link to tg://user?id=N mentions user N) are checked against the
 * chat scope like every other field, so formatting cannot smuggle a user past
 * the check that ran before it.
 */
export const formattedChatScopeStep: Step = async (ctx, next) => {
  const policy = ctx.client.policy
  const chats = policy.chats
  if (chats === undefined || accountKind(ctx.request['@type']) !== undefined) return await next()
  const session = ctx.session.id
  checkRequest(ctx.request, chats, (kind, id) => policy.seen?.chatOf(session, kind, id))
  return await next()
}

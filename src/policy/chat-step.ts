/**
 * The chat scope step (after usernames are resolved to ids): a client
 * limited to some chats may only send requests that name those chats, and
 * gets answers cut down to them (chats.ts has the rules). A refusal names
 * an id only when the client itself wrote it: an id derived from what it
 * wrote (a supergroup's chat id) or found by resolution is never told.
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import type { TdObject } from '../tdlib/backend.js'
import { answerInChats, requestChats } from './chats.js'

export const chatScopeStep: Step = async (ctx, next) => {
  const chats = ctx.client.policy.chats
  if (chats === undefined) return await next()
  const named = requestChats(ctx.request)
  if (typeof named === 'string') throw new BrokerError('CHAT_NOT_ALLOWED', named)
  const outside = named.find(id => !chats.has(id))
  if (outside !== undefined) {
    throw new BrokerError('CHAT_NOT_ALLOWED', written(ctx.request, outside)
      ? `chat ${outside} is not one of this client's chats`
      : `${ctx.request['@type']} names a chat that is not one of this client's chats`)
  }
  const answer = await next()
  const kept = answerInChats(answer, chats)
  if (kept === undefined) throw new BrokerError('CHAT_NOT_ALLOWED', `the answer is about a chat outside this client's chats`)
  return kept
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

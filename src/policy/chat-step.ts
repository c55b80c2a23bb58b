/**
 * The last pipeline step (after usernames are resolved to ids): a client
 * limited to some chats may only send requests that name those chats, and
 * gets answers cut down to them (chats.ts has the rules).
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import { answerInChats, requestChats } from './chats.js'

export const chatScopeStep: Step = async (ctx, next) => {
  const chats = ctx.client.policy.chats
  if (chats === undefined) return await next()
  const named = requestChats(ctx.request)
  if (typeof named === 'string') throw new BrokerError('CHAT_NOT_ALLOWED', named)
  const outside = named.find(id => !chats.has(id))
  if (outside !== undefined) throw new BrokerError('CHAT_NOT_ALLOWED', `chat ${outside} is not one of this client's chats`)
  const answer = await next()
  const kept = answerInChats(answer, chats)
  if (kept === undefined) throw new BrokerError('CHAT_NOT_ALLOWED', `the answer is about a chat outside this client's chats`)
  return kept
}

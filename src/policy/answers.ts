/**
 * What a chat-scoped client may receive as an answer: an allowlist of answer
 * types, each with its filter. Anything else is withheld. docs/clients.md
 * ("Chat scope") lists the same rules.
 *
 * Answers to requests that were anchored to the client's chats (every id
 * they named mapped to one of its chats, chat-check.ts) are about those
 * chats, so any type passes, except the types that can carry other chats
 * (messages, chats, forwards, thread info), which are filtered whatever the
 * request was.
 */
import type { TdObject } from '../tdlib/backend.js'
import { chatIdOf } from './chats.js'
import { PARAMETERLESS_REQUESTS } from './tdlib-fields.js'

/** What the filter knows about the request the answer is for. */
export interface AnswerContext {
  chats: ReadonlySet<number>
  request: TdObject
  anchored: boolean
  /** May the client see the login flow (scope.login)? Otherwise authorization states keep only their @type. */
  login: boolean
}

/** The verdict: the answer to send, or why it is withheld. */
export type Filtered = { answer: TdObject } | { withheld: 'other-chat' | 'type' }

const parameterless = new Set(PARAMETERLESS_REQUESTS)
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined
const inChats = (chats: ReadonlySet<number>, id: unknown): boolean => typeof id === 'number' && chats.has(id)
const messageIn = (chats: ReadonlySet<number>, m: unknown): boolean => inChats(chats, obj(m)?.chat_id)

type Filter = (answer: TdObject, ctx: AnswerContext) => Filtered

const pass = (answer: TdObject): Filtered => ({ answer })
const otherChat: Filtered = { withheld: 'other-chat' }

/** A list of messages cut down to the client's chats; counts of other chats are not told. */
const messageList: Filter = (answer, { chats, anchored }) => {
  if (!Array.isArray(answer.messages)) return pass(answer)
  // getMessages answers null for a message it cannot find; a null stays null.
  const messages = answer.messages.map(m => m === null || messageIn(chats, m) ? m : undefined).filter(m => m !== undefined)
  const cut = messages.length !== answer.messages.length
  const out: TdObject = { ...answer, messages }
  if (typeof answer.total_count === 'number' && (cut || !anchored)) out.total_count = messages.length
  return pass(out)
}

const FILTERS: Record<string, Filter> = {
  ok: pass,
  error: pass,
  chat: (a, { chats }) => inChats(chats, a.id) ? pass(a) : otherChat,
  chats: (a, { chats }) => {
    const ids = Array.isArray(a.chat_ids) ? a.chat_ids.filter(id => inChats(chats, id)) : []
    return pass({ ...a, chat_ids: ids, total_count: ids.length })
  },
  message: (a, { chats }) => messageIn(chats, a) ? pass(a) : otherChat,
  messages: messageList,
  foundMessages: messageList,
  foundChatMessages: messageList,
  messageThreadInfo: (a, ctx) => {
    if (!inChats(ctx.chats, a.chat_id)) return otherChat
    return messageList(a, { ...ctx, anchored: true })
  },
  publicForwards: (a, { chats }) => {
    const forwards = Array.isArray(a.forwards)
      ? a.forwards.filter(f => obj(f)?.['@type'] === 'publicForwardMessage' && messageIn(chats, obj(f)?.message))
      : []
    return pass({ ...a, forwards, total_count: forwards.length, next_offset: '' })
  },
  // A user's profile: one of the client's chats, or the account itself (getMe and other requests without parameters).
  user: (a, { chats, request }) => inChats(chats, a.id) || parameterless.has(request['@type']) ? pass(a) : otherChat,
  supergroup: (a, { chats }) => typeof a.id === 'number' && chats.has(chatIdOf('supergroup', a.id)) ? pass(a) : otherChat,
  basicGroup: (a, { chats }) => typeof a.id === 'number' && chats.has(chatIdOf('basic_group', a.id)) ? pass(a) : otherChat
}

/** Types an answer to an anchored request may have without a filter of its own. */
function anchoredPass (answer: TdObject, ctx: AnswerContext): Filtered {
  return ctx.anchored ? pass(answer) : { withheld: 'type' }
}

/** The answer a chat-scoped client receives. */
export function filterAnswer (answer: TdObject, ctx: AnswerContext): Filtered {
  const type = answer['@type']
  if (type.startsWith('authorizationState')) return pass(ctx.login ? answer : { '@type': type })
  // testInt, testString, ...: TDLib's test requests echo what the client sent ("for testing only").
  if (/^test[A-Z]/.test(type)) return pass(answer)
  const filter = Object.hasOwn(FILTERS, type) ? FILTERS[type] : undefined
  if (filter !== undefined) return filter(answer, ctx)
  return anchoredPass(answer, ctx)
}

/** Answer types with a filter of their own (docs and tests). */
export const FILTERED_ANSWER_TYPES: readonly string[] = Object.keys(FILTERS)

/**
 * Whether a chat-scoped client may send a request: every id it carries
 * (request-ids.ts, from TDLib's schema) must map to one of its chats.
 * docs/clients.md ("Chat scope") states the same rules for operators.
 *
 * - chat, user (its private chat), supergroup, basic group and secret chat
 *   ids: the chat they name must be one of the client's;
 * - message, story and in-chat ids (topics, checklist tasks, poll options):
 *   only next to (or inside an object with) a chat id, which is checked;
 * - file, call, group call and callback query ids: only those the client was
 *   shown in one of its chats (seen-ids.ts);
 * - a text URL `tg://user?id=N` counts as user N;
 * - inline message, chat folder, business connection and remote file ids,
 *   links, URLs, usernames and phone numbers, and every id-like field that no
 *   rule classifies: refused, since none maps to a chat before TDLib runs it;
 * - a request that creates a chat is refused before it runs: the new chat
 *   cannot be one of the client's.
 *
 * Error messages name the field and only ids the client sent itself.
 */
import { BrokerError } from '../errors.js'
import type { TdObject } from '../tdlib/backend.js'
import { chatIdOf } from './chats.js'
import { CHAT_BOUND_KINDS, CHAT_KINDS, requestIds, textUrlUser, UncheckableRequest, type IdKind, type WalkOptions } from './request-ids.js'
import type { SeenKind } from './seen-ids.js'
import { REQUEST_EFFECTS } from './tdlib-fields.js'

/** The chat a shown file, call, group call or callback query id belongs to, if the client was shown it. */
export type SeenLookup = (kind: SeenKind, id: number | string) => number | undefined

const SEEN_KINDS: ReadonlySet<IdKind> = new Set(['file', 'call', 'group_call', 'callback_query'])

/** What the check found out about an allowed request. */
export interface CheckedRequest {
  /** It named at least one id, and each mapped to one of the client's chats: its answer is about them. */
  anchored: boolean
  /** The one chat it is about, when its ids all map to the same chat (what its answer shows belongs there). */
  chat: number | undefined
}

const REFUSED_KINDS: Partial<Record<IdKind, string>> = {
  inline_message: 'an inline message id',
  chat_folder: 'a chat folder id',
  business_connection: 'a business connection id',
  remote_file: 'a remote file id',
  link: 'a link or URL',
  text_peer: 'a username, invite link or phone number',
  unclassified: 'an id the broker cannot map to a chat'
}

const refuse = (detail: string): BrokerError => new BrokerError('CHAT_NOT_ALLOWED', detail)

/**
 * Checks a request against `chats`; throws CHAT_NOT_ALLOWED, naming the
 * field, when it may not be sent. `options.plainText` lets a string stand
 * for a formattedText that format_fields will parse (and check again).
 */
export function checkRequest (request: TdObject, chats: ReadonlySet<number>, seen: SeenLookup, options: WalkOptions = {}): CheckedRequest {
  const type = request['@type']
  if (Object.hasOwn(REQUEST_EFFECTS, type) && REQUEST_EFFECTS[type] === 'creates_chat') {
    throw refuse(`${type} creates a chat, which cannot be one of this client's chats`)
  }
  let refs
  try {
    refs = requestIds(request, options)
  } catch (e) {
    if (e instanceof UncheckableRequest) throw refuse(`${e.message}, so the chat scope cannot check it`)
    throw e
  }
  const named = new Set<number>()
  const mine = (chat: number, what: string): void => {
    if (!chats.has(chat)) throw refuse(`${what} is not one of this client's chats`)
    named.add(chat)
  }
  for (const ref of refs) {
    const { kind, path, value } = ref
    if (CHAT_KINDS.has(kind)) {
      if (typeof value !== 'number') throw refuse(`${path} must be a numeric id`)
      mine(chatIdOf(kind as 'chat', value), kind === 'chat' ? `chat ${value} (${path})` : `the chat of ${kind.replace('_', ' ')} ${value} (${path})`)
      continue
    }
    if (CHAT_BOUND_KINDS.has(kind)) {
      if (!ref.bound) throw refuse(`${path} names a ${kind === 'in_chat' ? 'part of a chat' : kind} without its chat`)
      continue
    }
    if (kind === 'in_call') {
      // Its call is checked as a call id (below or above); without one it names nothing the scope can place.
      if (!ref.bound) throw refuse(`${path} names a connection of a call without the call`)
      continue
    }
    if (SEEN_KINDS.has(kind)) {
      const what = kind.replace('_', ' ')
      const chat = seen(kind as SeenKind, value)
      if (chat === undefined) throw refuse(`${path}: ${what} ${String(value)} was not shown to this client in one of its chats`)
      mine(chat, `the chat of ${what} ${value} (${path})`)
      continue
    }
    if (kind === 'text_url') {
      const user = textUrlUser(String(value))
      if (user === undefined) continue
      if (Number.isNaN(user)) throw refuse(`${path} is a tg: user link the broker cannot read`)
      mine(user, `user ${user} (${path}, a tg://user link)`)
      continue
    }
    if (kind === 'global' || kind === 'own') continue
    throw refuse(`${path} is ${REFUSED_KINDS[kind] ?? 'an id the broker cannot map to a chat'}, which a client limited to some chats may not send`)
  }
  return { anchored: refs.some(r => CHAT_KINDS.has(r.kind) || SEEN_KINDS.has(r.kind)), chat: named.size === 1 ? [...named][0] : undefined }
}

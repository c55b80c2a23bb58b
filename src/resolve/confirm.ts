/**
 * What a session's own TDLib shows about an id, asked with local requests
 * only (getUser, getChat, getSupergroup): they cost no lookup quota, create
 * nothing, and answer only with what this account may see. A cached id or a
 * scope's id is used for a username or phone number only when this
 * description fits it.
 */
import { isTdError, type TdObject } from '../tdlib/backend.js'
import type { PeerQuery, PeerSession } from './resolver.js'
import { TdlibRefusal } from './refusal.js'

/** An id as the session sees it: a user (a private chat has its user's id) or a group, with its names. */
export interface Described {
  kind: 'user' | 'group'
  /** Lower case, without "@": active and editable usernames. */
  usernames: readonly string[]
  /** Digits only, when the session may see the user's number. */
  phone?: string
}

/**
 * A local request's answer, or undefined when TDLib does not know the id
 * (400/404). Other failures (401 before login, 429, 5xx) are the client's
 * answer: TDLib's messages for them name no user or chat.
 */
export async function local (session: PeerSession, request: TdObject): Promise<TdObject | undefined> {
  const answer = await session.invoke(request)
  if (!isTdError(answer)) return answer
  if (answer.code === 400 || answer.code === 404) return undefined
  throw new TdlibRefusal(answer)
}

function usernamesOf (object: TdObject | undefined): string[] {
  const names = object?.usernames as { active_usernames?: unknown, editable_username?: unknown } | undefined
  const list = Array.isArray(names?.active_usernames) ? names.active_usernames : []
  return [...new Set([...list, names?.editable_username].filter((n): n is string => typeof n === 'string' && n !== '').map(n => n.toLowerCase()))]
}

/**
 * How this session sees `id` (a user id, or a chat id: TDLib numbers users
 * and their private chats alike, groups below 0); undefined when it does
 * not know it, or it is a kind that has no username (a secret chat).
 */
export async function describe (session: PeerSession, id: number): Promise<Described | undefined> {
  if (!Number.isSafeInteger(id) || id === 0) return undefined
  if (id > 0) {
    const user = await local(session, { '@type': 'getUser', user_id: id })
    if (user === undefined) return undefined
    const digits = typeof user.phone_number === 'string' ? user.phone_number.replace(/[^0-9]/g, '') : ''
    return { kind: 'user', usernames: usernamesOf(user), ...(digits === '' ? {} : { phone: digits }) }
  }
  const chat = await local(session, { '@type': 'getChat', chat_id: id })
  const type = chat?.type as TdObject | undefined
  if (type?.['@type'] === 'chatTypeSupergroup') {
    return { kind: 'group', usernames: usernamesOf(await local(session, { '@type': 'getSupergroup', supergroup_id: Number(type.supergroup_id) })) }
  }
  if (type?.['@type'] === 'chatTypeBasicGroup') return { kind: 'group', usernames: [] }
  return undefined
}

/** Whether what the session shows of an id fits what the client wrote. */
export function fits (described: Described | undefined, query: PeerQuery): boolean {
  if (described === undefined) return false
  if (query.want === 'user' && described.kind !== 'user') return false
  return query.peer.kind === 'username' ? described.usernames.includes(query.peer.username) : described.phone === query.peer.phone
}

/** Whether this session knows `id` at all (the check on its own earlier resolutions). */
export async function knows (session: PeerSession, want: PeerQuery['want'], id: number): Promise<boolean> {
  const answer = want === 'user'
    ? await local(session, { '@type': 'getUser', user_id: id })
    : await local(session, { '@type': 'getChat', chat_id: id })
  return answer !== undefined
}

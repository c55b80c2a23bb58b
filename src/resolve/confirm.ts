/**
 * Whether a session's own TDLib shows an id as the user or chat a client
 * named by username or phone number. Only local requests (getUser, getChat,
 * getSupergroup): they cost no lookup quota, create nothing, and answer only
 * with what this account may see, so a cached id or a scope's id is never
 * used unless this session itself shows that it fits.
 */
import { isTdError, type TdObject } from '../tdlib/backend.js'
import type { PeerQuery, PeerSession } from './resolver.js'
import { TdlibRefusal } from './refusal.js'

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

/** Lower-case usernames of a user or supergroup object (active and editable). */
function usernamesOf (object: TdObject | undefined): string[] {
  const names = object?.usernames as { active_usernames?: unknown, editable_username?: unknown } | undefined
  const list = Array.isArray(names?.active_usernames) ? names.active_usernames : []
  return [...list, names?.editable_username].filter((n): n is string => typeof n === 'string' && n !== '').map(n => n.toLowerCase())
}

function userFits (user: TdObject | undefined, peer: PeerQuery['peer']): boolean {
  if (user === undefined) return false
  if (peer.kind === 'username') return usernamesOf(user).includes(peer.username)
  return typeof user.phone_number === 'string' && user.phone_number.replace(/[^0-9]/g, '') === peer.phone
}

/**
 * The id for `query` if this session shows that `id` fits it, else
 * undefined. For a user field `id` is a user id; for a chat field a chat
 * id, where a private chat's id is its user's (TDLib numbers them alike).
 */
export async function confirm (session: PeerSession, query: PeerQuery, id: number): Promise<number | undefined> {
  if (!Number.isSafeInteger(id) || id === 0) return undefined
  if (query.want === 'user') {
    if (id < 0) return undefined
    return userFits(await local(session, { '@type': 'getUser', user_id: id }), query.peer) ? id : undefined
  }
  const chat = await local(session, { '@type': 'getChat', chat_id: id })
  const type = chat?.type as TdObject | undefined
  if (chat === undefined || type?.['@type'] === 'chatTypePrivate') {
    // A user the session knows may have no private chat opened yet; its id is the chat's.
    if (id < 0) return undefined
    return userFits(await local(session, { '@type': 'getUser', user_id: id }), query.peer) ? id : undefined
  }
  if (type?.['@type'] === 'chatTypeSupergroup' && query.peer.kind === 'username') {
    const group = await local(session, { '@type': 'getSupergroup', supergroup_id: Number(type.supergroup_id) })
    return usernamesOf(group).includes(query.peer.username) ? id : undefined
  }
  return undefined
}

/** Whether this session knows `id` at all (the check on its own earlier resolutions). */
export async function knows (session: PeerSession, want: PeerQuery['want'], id: number): Promise<boolean> {
  const answer = want === 'user'
    ? await local(session, { '@type': 'getUser', user_id: id })
    : await local(session, { '@type': 'getChat', chat_id: id })
  return answer !== undefined
}

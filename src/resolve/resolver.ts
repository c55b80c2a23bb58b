/**
 * Resolving a username or phone number to an id inside one session.
 *
 * A client with a chat scope resolves only among its chats: each of its
 * chats is checked in the session with local requests (confirm.ts), and a
 * name that is none of them is refused naming what the client wrote, never
 * an id. Nothing is looked up for it, so a refused name costs no lookup
 * quota and creates no chat.
 *
 * Any other client resolves the way a TDLib client would, in this order:
 * 1. this session's own earlier answer (cache.ts), if the session still knows the id;
 * 2. a shared record, if this session's TDLib shows that the id fits (confirm.ts);
 * 3. a lookup: searchPublicChat for usernames; searchUserByPhoneNumber for
 *    phone numbers, and when the account does not know the number,
 *    importContacts (which adds the number to the account's contacts, named
 *    after the number), then createPrivateChat for a chat field. A lookup
 *    also makes the session "see" the user or chat, which TDLib needs
 *    before it accepts the id.
 */
import { BrokerError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { isTdError, type TdError, type TdObject } from '../tdlib/backend.js'
import type { ResolveCache } from './cache.js'
import { describe, fits, knows, type Described } from './confirm.js'
import { TdlibRefusal } from './refusal.js'

export { TdlibRefusal } from './refusal.js'

/** The part of a session that resolution uses. */
export interface PeerSession {
  readonly id: string
  invoke(request: TdObject): Promise<TdObject>
}

/** What to resolve, and where in the request (named in errors). */
export interface PeerQuery {
  /** Where the value is, from the request's root (["user_ids", 0]). */
  keys: Array<string | number>
  /** The place as errors name it ("createNewBasicGroupChat.user_ids[0]"). */
  field: string
  /** The value as the client wrote it. */
  value: string
  peer: { kind: 'username', username: string } | { kind: 'phone', phone: string }
  /** A user id (fields ending in user_id or user_ids) or a chat id. */
  want: 'user' | 'chat'
}

/** How an id was found, for the log. */
export type Source = 'session' | 'hint' | 'lookup'

export class PeerResolver {
  private readonly inFlight = new Map<string, Promise<number>>()

  constructor (private readonly cache: ResolveCache, private readonly log: Logger) {}

  /**
   * The ids for `queries` (one request's) in `session`, in order. `scope` is
   * the client's chats when it has a chat scope: then only those are
   * candidates. Throws a BrokerError (PEER_NOT_FOUND, CHAT_NOT_ALLOWED) or a
   * TdlibRefusal.
   */
  async resolveAll (session: PeerSession, queries: readonly PeerQuery[], scope?: ReadonlySet<number>): Promise<number[]> {
    if (scope !== undefined) return await this.inScope(session, queries, scope)
    const ids: number[] = []
    for (const query of queries) {
      const [id, source] = await this.anywhere(session, query)
      this.log.debug({ session: session.id, field: query.field, value: query.value, id, source }, 'peer resolved')
      ids.push(id)
    }
    return ids
  }

  /**
   * Among the client's chats only. Each chat is described once per request
   * (local requests), whatever the number of names; a chat a shared record
   * points at is tried first.
   */
  private async inScope (session: PeerSession, queries: readonly PeerQuery[], scope: ReadonlySet<number>): Promise<number[]> {
    const ids: Array<number | undefined> = queries.map(() => undefined)
    const seen = new Map<number, Described | undefined>()
    const look = async (id: number): Promise<Described | undefined> => {
      if (!seen.has(id)) seen.set(id, await describe(session, id))
      return seen.get(id)
    }
    for (const [i, query] of queries.entries()) {
      const hint = this.hint(query)
      if (hint !== undefined && scope.has(hint) && fits(await look(hint), query)) ids[i] = hint
    }
    for (const id of scope) {
      if (ids.every(found => found !== undefined)) break
      const described = await look(id)
      queries.forEach((query, i) => { if (ids[i] === undefined && fits(described, query)) ids[i] = id })
    }
    const missing = ids.findIndex(found => found === undefined)
    if (missing >= 0) {
      const query = queries[missing]!
      throw new BrokerError('CHAT_NOT_ALLOWED', `${query.field} ${JSON.stringify(query.value)} is not one of this client's chats`)
    }
    this.log.debug({ session: session.id, fields: queries.map(q => q.field), source: 'scope' }, 'peers resolved among the client\'s chats')
    return ids as number[]
  }

  private async anywhere (session: PeerSession, query: PeerQuery): Promise<[number, Source]> {
    const key = `${query.want}|${query.peer.kind === 'username' ? '@' + query.peer.username : '+' + query.peer.phone}`
    const earlier = this.cache.sessionAnswer(session.id, key)
    if (earlier !== undefined) {
      if (await knows(session, query.want, earlier)) return [earlier, 'session']
      this.cache.forgetSessionAnswer(session.id, key)
    }
    const hint = this.hint(query)
    if (hint !== undefined && fits(await describe(session, hint), query)) {
      this.cache.rememberSessionAnswer(session.id, key, hint)
      return [hint, 'hint']
    }
    // Requests that need the same lookup in the same session share one.
    const flight = `${session.id}|${key}`
    let work = this.inFlight.get(flight)
    if (work === undefined) {
      work = this.lookUp(session, query).finally(() => { this.inFlight.delete(flight) })
      this.inFlight.set(flight, work)
    }
    const id = await work
    this.cache.rememberSessionAnswer(session.id, key, id)
    return [id, 'lookup']
  }

  /** The id a fresh shared record gives, if any: a hint to confirm, never an answer. */
  private hint (query: PeerQuery): number | undefined {
    if (query.peer.kind === 'username') {
      const hit = this.cache.username(query.peer.username)
      return query.want === 'user' ? hit?.user_id : hit?.chat_id
    }
    // A private chat's id is its user's.
    return this.cache.phone(query.peer.phone)?.user_id
  }

  private async lookUp (session: PeerSession, query: PeerQuery): Promise<number> {
    return query.peer.kind === 'username'
      ? await this.byUsername(session, query, query.peer.username)
      : await this.byPhone(session, query, query.peer.phone)
  }

  private async byUsername (session: PeerSession, query: PeerQuery, username: string): Promise<number> {
    const chat = await this.ask(session, query, { '@type': 'searchPublicChat', username })
    const type = chat.type as TdObject | undefined
    const userId = type?.['@type'] === 'chatTypePrivate' ? Number(type.user_id) : undefined
    let isBot: boolean | undefined
    if (userId !== undefined) {
      const user = await this.ask(session, query, { '@type': 'getUser', user_id: userId })
      isBot = (user.type as TdObject | undefined)?.['@type'] === 'userTypeBot'
      this.cache.putUser({ user_id: userId, is_bot: isBot })
    }
    const chatId = Number(chat.id)
    this.cache.putUsername({ username, chat_id: chatId, ...(userId === undefined ? {} : { user_id: userId }), ...(isBot === undefined ? {} : { is_bot: isBot }) })
    if (query.want === 'chat') return chatId
    if (userId === undefined) throw notFound(query, `@${username} is a group or channel, not a user`)
    return userId
  }

  private async byPhone (session: PeerSession, query: PeerQuery, phone: string): Promise<number> {
    let user = await session.invoke({ '@type': 'searchUserByPhoneNumber', phone_number: phone, only_local: false })
    if (isTdError(user)) {
      if (!isNotFound(user)) throw new TdlibRefusal(user)
      // The account does not know the number: importing it as a contact is
      // how Telegram lets an account find a user by phone.
      const imported = await this.ask(session, query, {
        '@type': 'importContacts',
        contacts: [{ '@type': 'importedContact', phone_number: `+${phone}`, first_name: `+${phone}`, last_name: '' }],
      })
      const userId = Number((imported.user_ids as unknown[] | undefined)?.[0] ?? 0)
      if (userId === 0) throw notFound(query, `no Telegram user has the phone number +${phone} (or they cannot be found by it)`)
      this.log.info({ session: session.id, phone: `+${phone}`, user_id: userId }, 'phone number added to the account\'s contacts to resolve it')
      user = await this.ask(session, query, { '@type': 'getUser', user_id: userId })
    }
    const userId = Number(user.id)
    this.cache.putUser({ user_id: userId, phone, is_bot: (user.type as TdObject | undefined)?.['@type'] === 'userTypeBot' })
    if (query.want === 'user') return userId
    const chat = await this.ask(session, query, { '@type': 'createPrivateChat', user_id: userId, force: false })
    return Number(chat.id)
  }

  /** Sends a request; "not found" becomes PEER_NOT_FOUND, other TDLib errors go to the client as they are. */
  private async ask (session: PeerSession, query: PeerQuery, request: TdObject): Promise<TdObject> {
    const answer = await session.invoke(request)
    if (!isTdError(answer)) return answer
    if (isNotFound(answer)) throw notFound(query, `${request['@type']}: ${answer.code} ${answer.message}`)
    throw new TdlibRefusal(answer)
  }
}

/** Telegram's "there is no such user or chat" answers: 400 (USERNAME_NOT_OCCUPIED, ...) and 404. */
function isNotFound (error: TdError): boolean {
  return error.code === 400 || error.code === 404
}

function notFound (query: PeerQuery, why: string): BrokerError {
  return new BrokerError('PEER_NOT_FOUND', `${query.field} ${JSON.stringify(query.value)}: ${why}`)
}

/**
 * Resolving a username or phone number to an id inside one session, the
 * way a TDLib client would: searchPublicChat for usernames;
 * searchUserByPhoneNumber for phone numbers, and when the account does not
 * know the number, importContacts (which adds the number to the account's
 * contacts, named after the number). Resolving also makes the session "see"
 * the user or chat, which TDLib needs before it accepts the id.
 */
import { BrokerError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { isTdError, type TdError, type TdObject } from '../tdlib/backend.js'
import type { ResolveCache } from './cache.js'

/** The part of a session that resolution uses. */
export interface PeerSession {
  readonly id: string
  invoke(request: TdObject): Promise<TdObject>
}

/** What to resolve, and for which field (named in errors). */
export interface PeerQuery {
  /** The request's field name ("chat_id"). */
  key: string
  /** The field as errors name it ("sendMessage.chat_id"). */
  field: string
  /** The value as the client wrote it. */
  value: string
  peer: { kind: 'username', username: string } | { kind: 'phone', phone: string }
  /** A user id (fields ending in user_id) or a chat id. */
  want: 'user' | 'chat'
  /**
   * May an unknown phone number be imported as a contact to find it? Not for
   * clients limited to some chats: the contact would be added before their
   * request is refused, and a number the account does not know cannot be one
   * of their chats anyway.
   */
  mayImportContact?: boolean
}

export interface Resolved {
  id: number
  /** True when the id came from the cache rather than from this session's TDLib. */
  cached: boolean
}

/**
 * TDLib's answer to a resolution call that failed for a reason other than
 * "no such user" (flood wait, network, not logged in): the client gets it
 * unchanged, as the answer to its request.
 */
export class TdlibRefusal extends Error {
  constructor (readonly answer: TdError) { super(answer.message) }
}

export class PeerResolver {
  private readonly inFlight = new Map<string, Promise<Resolved>>()

  constructor (private readonly cache: ResolveCache, private readonly log: Logger) {}

  /** Resolves one value; `fresh` skips the cache (the retry after TDLib did not know a cached id). */
  async resolve (session: PeerSession, query: PeerQuery, fresh: boolean): Promise<Resolved> {
    if (!fresh) {
      const cached = this.fromCache(query)
      if (cached !== undefined) return { id: cached, cached: true }
    }
    // Requests that need the same resolution in the same session share one lookup.
    const key = `${session.id}|${query.want}|${query.peer.kind === 'username' ? '@' + query.peer.username : '+' + query.peer.phone}`
    let work = this.inFlight.get(key)
    if (work === undefined) {
      work = this.lookUp(session, query).finally(() => { this.inFlight.delete(key) })
      this.inFlight.set(key, work)
    }
    return await work
  }

  private fromCache (query: PeerQuery): number | undefined {
    if (query.peer.kind === 'username') {
      const hit = this.cache.username(query.peer.username)
      if (hit === undefined) return undefined
      // A cached group or channel asked for as a user: let TDLib say so.
      return query.want === 'user' ? hit.user_id : hit.chat_id
    }
    return this.cache.phone(query.peer.phone)?.user_id
  }

  private async lookUp (session: PeerSession, query: PeerQuery): Promise<Resolved> {
    const id = query.peer.kind === 'username'
      ? await this.byUsername(session, query, query.peer.username)
      : await this.byPhone(session, query, query.peer.phone)
    this.log.debug({ session: session.id, field: query.field, value: query.value, id }, 'peer resolved')
    return { id, cached: false }
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
      if (query.mayImportContact === false) throw notFound(query, `the account does not know +${phone}, and this client's chat scope does not allow adding it as a contact`)
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

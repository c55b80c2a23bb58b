/**
 * Ids that are not chat ids but that a chat-scoped client may still use,
 * because it was shown them in one of its chats: file ids (TDLib counts
 * them up from 1, so any number names some file of the session), call ids
 * (from updateCall with the other party), group call ids (a chat's video
 * chat) and callback query ids (updateNewCallbackQuery from a chat). Learnt from what passed to the client, per session; bounded, the
 * oldest forgotten first, so a client that is shown many files can make
 * the broker hold at most MAX_PER_KIND of each kind per session.
 */
import type { TdObject } from '../tdlib/backend.js'

/** How many ids of each kind are remembered per session and client. */
export const MAX_PER_KIND = 10_000
/** How many sessions a client's memory covers (least recently used forgotten). */
export const MAX_SESSIONS = 256

/** The kinds of id remembered. */
export type SeenKind = 'file' | 'call' | 'group_call' | 'callback_query'

/** A bounded map, oldest entry out first. Ids are keyed as decimal strings (TDLib's int64 ids are strings). */
class Bounded {
  private readonly map = new Map<string, number>()
  constructor (private readonly max: number) {}
  set (id: string, chat: number): void {
    this.map.delete(id)
    this.map.set(id, chat)
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value
      if (oldest !== undefined) this.map.delete(oldest)
    }
  }

  get (id: string): number | undefined { return this.map.get(id) }
}

const MAX_WALK_DEPTH = 32

/** What one client has been shown of one session. */
class SessionSeen {
  readonly kinds: Record<SeenKind, Bounded> = {
    file: new Bounded(MAX_PER_KIND),
    call: new Bounded(MAX_PER_KIND),
    group_call: new Bounded(MAX_PER_KIND),
    callback_query: new Bounded(MAX_PER_KIND)
  }
}

const num = (v: unknown): number | undefined => typeof v === 'number' && Number.isSafeInteger(v) && v !== 0 ? v : undefined

/** Per session: the file, call and group call ids a client was shown, with their chats. */
export class SeenIds {
  private readonly sessions = new Map<string, SessionSeen>()

  /** The chat an id of this kind was shown in, undefined if it never was. */
  chatOf (session: string, kind: SeenKind, id: number | string): number | undefined {
    return this.sessions.get(session)?.kinds[kind].get(String(id))
  }

  /**
   * Remembers the ids in an object that passed to the client, `chat` being
   * the chat it is about (an update's chat, or undefined for an answer: each
   * message and chat in it then names its own).
   */
  note (session: string, object: TdObject, chat: number | undefined): void {
    let seen = this.sessions.get(session)
    if (seen === undefined) {
      seen = new SessionSeen()
      this.sessions.set(session, seen)
      if (this.sessions.size > MAX_SESSIONS) {
        const oldest = this.sessions.keys().next().value
        if (oldest !== undefined) this.sessions.delete(oldest)
      }
    } else {
      this.sessions.delete(session)
      this.sessions.set(session, seen)
    }
    walk(seen, object, chat, 0)
  }
}

function walk (seen: SessionSeen, value: unknown, chat: number | undefined, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > MAX_WALK_DEPTH) return
  if (Array.isArray(value)) {
    for (const item of value) walk(seen, item, chat, depth + 1)
    return
  }
  const o = value as Record<string, unknown>
  const type = o['@type']
  let here = chat
  if (type === 'message' || type === 'chat') here = num(type === 'message' ? o.chat_id : o.id) ?? chat
  if (type === 'call') {
    const id = num(o.id)
    const user = num(o.user_id)
    if (id !== undefined && user !== undefined) seen.kinds.call.set(String(id), user)
  }
  if (here !== undefined) {
    if (type === 'file') {
      const id = num(o.id)
      if (id !== undefined) seen.kinds.file.set(String(id), here)
    }
    const groupCall = num(o.group_call_id)
    if (groupCall !== undefined) seen.kinds.group_call.set(String(groupCall), here)
    if (type === 'updateNewCallbackQuery' && (typeof o.id === 'string' || typeof o.id === 'number') && /^[1-9][0-9]{0,19}$/.test(String(o.id))) {
      seen.kinds.callback_query.set(String(o.id), here)
    }
  }
  for (const [key, inner] of Object.entries(o)) {
    if (key !== '@type' && inner !== null && typeof inner === 'object') walk(seen, inner, here, depth + 1)
  }
}

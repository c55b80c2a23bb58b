/**
 * One bot session as the gateway holds it: attached to the broker's session
 * like a connection (so it keeps running), it turns TDLib updates into Bot
 * API updates, one at a time and in order, and puts each into the queue of
 * every consumer whose scope lets it hear that update about that chat.
 * It also remembers the users and chats TDLib told it about (conversion
 * needs them) and finishes sends: TDLib answers sendMessage with a
 * temporary message, and the final one follows in updateMessageSendSucceeded.
 */
import { BrokerError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { ClientPolicy } from '../policy/policy.js'
import type { OutgoingUpdate } from '../session/outgoing.js'
import type { Session, SessionMember } from '../session/session.js'
import { isTdError, type TdObject } from '../tdlib/backend.js'
import { toCallbackQuery, toMessage, type Known } from './convert.js'
import { toChatMemberUpdated, toChosenInlineResult, toInlineQuery } from './convert-members.js'
import { BotApiError, expectTd, fromTdError } from './errors.js'
import type { UpdateQueue } from './queue.js'

/** A consumer as the fan-out sees it: its queue and its client's policy now (it follows reloads). */
export interface Listener {
  readonly queue: UpdateQueue
  policy(): ClientPolicy | undefined
}

/** Bot API update kinds and the TDLib update each comes from (a client's allowed_updates are in TDLib's names). */
export const UPDATE_KINDS: Readonly<Record<string, string>> = {
  message: 'updateNewMessage',
  edited_message: 'updateMessageEdited',
  channel_post: 'updateNewMessage',
  edited_channel_post: 'updateMessageEdited',
  callback_query: 'updateNewCallbackQuery',
  inline_query: 'updateNewInlineQuery',
  chosen_inline_result: 'updateNewChosenInlineResult',
  my_chat_member: 'updateChatMember',
  chat_member: 'updateChatMember'
}

/** How long a send waits for TDLib's final message before it fails. */
const SEND_TIMEOUT_MS = 30_000
/** Finished sends remembered for a waiter that comes after the update. */
const MAX_FINISHED = 1024
/** After the session ended, the first attempt to start it again, and the longest wait between attempts. */
const REATTACH_FIRST_MS = 1000
const REATTACH_MAX_MS = 60_000

interface SendWaiter { resolve: (m: TdObject) => void, reject: (e: Error) => void }

export class BotSession implements SessionMember {
  readonly id: string
  readonly listeners: Listener[] = []
  private readonly users = new Map<number, TdObject>()
  private readonly chats = new Map<number, TdObject>()
  private readonly supergroups = new Map<number, TdObject>()
  private readonly sends = new Map<number, SendWaiter>()
  private readonly finished = new Map<number, TdObject | BotApiError>()
  private chain: Promise<void> = Promise.resolve()
  private attached = false
  /** Set by close(): the session is not started again once it ends. */
  private closing = false
  /** The sequence number of the last update seen, to resume from after the session ended. */
  private lastSeq: number | undefined
  private reattachTimer: NodeJS.Timeout | undefined
  private reattachDelay = REATTACH_FIRST_MS
  private me: number | undefined
  readonly known: Known

  constructor (readonly session: Session, private readonly log: Logger) {
    this.id = `bot-api:${session.id}`
    this.known = {
      user: async id => await this.lookup(this.users, id, { '@type': 'getUser', user_id: id }),
      chat: async id => await this.lookup(this.chats, id, { '@type': 'getChat', chat_id: id }),
      supergroup: async id => await this.lookup(this.supergroups, id, { '@type': 'getSupergroup', supergroup_id: id }),
      message: async (chatId, messageId) => {
        const m = await this.session.invoke({ '@type': 'getMessage', chat_id: chatId, message_id: messageId })
        return isTdError(m) ? undefined : m
      }
    }
  }

  /** Attaches to the session, starting it if it is not running; when that fails, it is tried again later. */
  async attach (): Promise<void> {
    try {
      await this.session.attach(this)
    } catch (e) {
      this.scheduleReattach()
      throw e
    }
    this.attached = true
  }

  /** Waits for the updates being converted, then detaches. */
  async close (): Promise<void> {
    this.closing = true
    if (this.reattachTimer !== undefined) clearTimeout(this.reattachTimer)
    this.reattachTimer = undefined
    await this.chain
    if (this.attached) this.session.detach(this)
    this.attached = false
    this.failSends('the broker is stopping')
  }

  private failSends (why: string): void {
    for (const waiter of this.sends.values()) waiter.reject(new BotApiError(500, `Internal Server Error: ${why}`))
    this.sends.clear()
  }

  /**
   * Starts the session again after it ended (TDLib closed or failed, or it
   * was stopped), resuming after the last update seen, so consumers miss
   * what the session's buffer still holds of the gap. Failed attempts are
   * retried with a doubling delay up to a minute.
   */
  private scheduleReattach (): void {
    if (this.closing || this.reattachTimer !== undefined) return
    const delay = this.reattachDelay
    this.reattachDelay = Math.min(delay * 2, REATTACH_MAX_MS)
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = undefined
      void this.reattach()
    }, delay)
    this.reattachTimer.unref()
  }

  private async reattach (): Promise<void> {
    if (this.closing || this.attached) return
    try {
      let result
      try {
        result = await this.session.attach(this, this.lastSeq)
      } catch (e) {
        // The numbering went back (the folder was restored from an older backup): nothing to resume from.
        if (!(e instanceof BrokerError) || e.errorName !== 'LAST_SEQ_AHEAD') throw e
        await this.session.attach(this)
      }
      if (this.closing) {
        this.session.detach(this)
        return
      }
      this.attached = true
      this.reattachDelay = REATTACH_FIRST_MS
      this.log.info({ session: this.session.id, ...(result === undefined ? {} : { replayed: result.replayed, complete: result.complete }) }, 'the bot session runs again: Bot API consumers get its updates')
    } catch (e) {
      this.log.error({ session: this.session.id, err: e instanceof Error ? e.message : String(e), retry_ms: this.reattachDelay }, 'the bot session could not be started again; retrying')
      this.scheduleReattach()
    }
  }

  /** The final message of a send whose temporary id TDLib answered with. */
  async sent (temporary: TdObject): Promise<TdObject> {
    const oldId = Number(temporary.id)
    if (temporary.sending_state === undefined || temporary.sending_state === null) return temporary
    const done = this.finished.get(oldId)
    if (done !== undefined) {
      this.finished.delete(oldId)
      if (done instanceof BotApiError) throw done
      return done
    }
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.sends.delete(oldId)
        reject(new BotApiError(500, 'Internal Server Error: TDLib did not confirm the send in time'))
      }, SEND_TIMEOUT_MS)
      this.sends.set(oldId, {
        resolve: m => { clearTimeout(timer); resolve(m) },
        reject: e => { clearTimeout(timer); reject(e) }
      })
    })
  }

  deliver (out: OutgoingUpdate): boolean {
    const u = out.update
    this.lastSeq = out.seq
    switch (u['@type']) {
      case 'updateUser': this.remember(this.users, u.user as TdObject); return true
      case 'updateNewChat': this.remember(this.chats, u.chat as TdObject); return true
      case 'updateSupergroup': this.remember(this.supergroups, u.supergroup as TdObject); return true
      case 'updateChatTitle': {
        const chat = this.chats.get(Number(u.chat_id))
        if (chat !== undefined) this.chats.set(chat.id as number, { ...chat, title: u.title })
        return true
      }
      case 'updateMessageSendSucceeded': this.finishSend(Number(u.old_message_id), u.message as TdObject); return true
      case 'updateMessageSendFailed': this.finishSend(Number(u.old_message_id), fromTdError(u.error as TdObject)); return true
      case 'updateNewMessage':
      case 'updateMessageEdited':
      case 'updateNewCallbackQuery':
      case 'updateNewInlineQuery':
      case 'updateNewChosenInlineResult':
      case 'updateChatMember':
        this.chain = this.chain.then(async () => { await this.convert(out) }).catch((e: Error) => {
          this.log.error({ update: u['@type'], err: e.message }, 'a TDLib update could not be converted for the Bot API; consumers do not get it')
        })
        return true
      default:
        return false
    }
  }

  sessionEnded (sessionId: string, reason: string): void {
    this.attached = false
    // Sends waiting for TDLib's final message would only time out: the session that would confirm them is gone.
    this.failSends(`the bot session ended before TDLib confirmed the send (${reason})`)
    if (this.closing) return
    this.log.warn({ session: sessionId, reason, restart_in_ms: this.reattachDelay }, 'the bot session ended: the gateway starts it again')
    this.scheduleReattach()
  }

  updatesLost (sessionId: string, fromSeq: number, toSeq: number): void {
    this.log.warn({ session: sessionId, fromSeq, toSeq }, 'bot session updates lost')
  }

  accepts (): boolean { return true }

  private async convert (out: OutgoingUpdate): Promise<void> {
    const u = out.update
    let kind: string
    let update: Record<string, unknown>
    let chatId: number
    if (u['@type'] === 'updateNewMessage') {
      const m = u.message as TdObject
      // The bot's own messages are not updates, as in the Bot API.
      if (m.is_outgoing === true) return
      kind = m.is_channel_post === true ? 'channel_post' : 'message'
      chatId = Number(m.chat_id)
      update = await toMessage(m, this.known) as unknown as Record<string, unknown>
    } else if (u['@type'] === 'updateMessageEdited') {
      chatId = Number(u.chat_id)
      const m = await this.session.invoke({ '@type': 'getMessage', chat_id: chatId, message_id: u.message_id })
      if (isTdError(m) || m.is_outgoing === true) return
      kind = m.is_channel_post === true ? 'edited_channel_post' : 'edited_message'
      update = await toMessage(m, this.known) as unknown as Record<string, unknown>
    } else if (u['@type'] === 'updateNewCallbackQuery') {
      chatId = Number(u.chat_id)
      const m = await this.session.invoke({ '@type': 'getMessage', chat_id: chatId, message_id: u.message_id })
      kind = 'callback_query'
      update = await toCallbackQuery(u, isTdError(m) ? undefined : m, this.known) as unknown as Record<string, unknown>
    } else if (u['@type'] === 'updateChatMember') {
      chatId = Number(u.chat_id)
      const member = (u.new_chat_member as TdObject).member_id as TdObject
      // Only users' memberships are updates; the bot's own is my_chat_member, as telegram-bot-api makes it.
      if (member['@type'] !== 'messageSenderUser') return
      kind = Number(member.user_id) === await this.myId() ? 'my_chat_member' : 'chat_member'
      update = await toChatMemberUpdated(u, this.known) as unknown as Record<string, unknown>
    } else {
      // Inline queries and chosen results belong to no chat: a chat scope sees them as the sender's private chat.
      chatId = Number(u.sender_user_id)
      if (u['@type'] === 'updateNewInlineQuery') {
        kind = 'inline_query'
        update = await toInlineQuery(u, this.known) as unknown as Record<string, unknown>
      } else {
        kind = 'chosen_inline_result'
        update = await toChosenInlineResult(u, this.known) as unknown as Record<string, unknown>
      }
    }
    const tdType = u['@type']
    for (const listener of this.listeners) {
      const policy = listener.policy()
      if (policy === undefined || !policy.allowsSession(this.session) || !policy.allowsUpdate(tdType)) continue
      if (policy.chats !== undefined && !policy.chats.has(chatId)) continue
      listener.queue.push(kind, update, chatId)
    }
  }

  /** The bot's own user id (asked once). */
  private async myId (): Promise<number> {
    this.me ??= Number(expectTd(await this.session.invoke({ '@type': 'getMe' })).id)
    return this.me
  }

  private finishSend (oldId: number, result: TdObject | BotApiError): void {
    const waiter = this.sends.get(oldId)
    if (waiter !== undefined) {
      this.sends.delete(oldId)
      if (result instanceof BotApiError) waiter.reject(result)
      else waiter.resolve(result)
      return
    }
    if (this.finished.size >= MAX_FINISHED) this.finished.delete(this.finished.keys().next().value as number)
    this.finished.set(oldId, result)
  }

  private remember (map: Map<number, TdObject>, o: TdObject): void { map.set(Number(o.id), o) }

  private async lookup (map: Map<number, TdObject>, id: number, request: TdObject): Promise<TdObject> {
    const hit = map.get(id)
    if (hit !== undefined) return hit
    const answer = expectTd(await this.session.invoke(request))
    map.set(id, answer)
    return answer
  }
}

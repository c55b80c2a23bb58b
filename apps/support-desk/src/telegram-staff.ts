/**
 * The staff side on Telegram itself: each staff member reads and answers in
 * their own account, in its private chat with the desk's bot. The bot posts
 * every customer message there under a "#12 · Alice:" header; the staff member
 * answers by replying to it (or writes plainly to their current conversation,
 * chosen with /to), and the desk relays the answer to the customer through
 * the bot. Typing is relayed both ways with sendChatAction.
 */
import type { Toolkit } from '@tdbroker/toolkit'
import type { Bridge, ConversationEvent, DeskPort } from './bridge.js'
import { titleOf } from './departments.js'
import { DeskError } from './errors.js'
import type { Conversation, DeskStore, StoredMessage } from './store.js'

/** Telegram shows "typing…" for about 5 s: one action per chat in that window is enough. */
const TYPING_EVERY_MS = 4000
const TYPING_KEPT = 10_000
const HISTORY_ON_TRANSFER = 10

export class TelegramStaffBridge implements Bridge {
  readonly name = 'telegram-staff'
  private desk: DeskPort | undefined
  /** Relays still waiting for Telegram's confirmation, per staff member: a reply to one may come before it is confirmed. */
  private readonly inFlight = new Map<number, Set<Promise<unknown>>>()
  /** Confirmed copies not yet stored by the desk: staff member:copy id -> conversation (bounded). */
  private readonly copies = new Map<string, number>()
  /** When a typing action was last relayed into each chat (bounded). */
  private readonly typedAt = new Map<number, number>()

  constructor (private readonly bot: Toolkit, private readonly store: DeskStore, private readonly nameOf: (staffId: number) => string, private readonly now: () => number = Date.now) {}

  async start (desk: DeskPort): Promise<void> { this.desk = desk }

  async onConversation (e: ConversationEvent): Promise<void> {
    const c = e.conversation
    const head = `#${c.id} · ${titleOf(c.department)} · ${c.customerName}`
    if (e.kind === 'opened' || e.kind === 'assigned') {
      if (c.staffId === 0) return
      this.focusIfIdle(c)
      await this.bot.sendTo(c.staffId, `${head}: new conversation, assigned to you. Reply to its messages to answer (or /to ${c.id}, then write).`)
    } else if (e.kind === 'transferred') {
      const previous = e.previousStaffId
      if (previous !== 0 && previous !== c.staffId) {
        if (this.store.focus(previous) === c.id) this.store.dropFocus(previous)
        await this.bot.sendTo(previous, `#${c.id} moved to ${titleOf(c.department)}${c.staffId === 0 ? '' : ` (${this.nameOf(c.staffId)})`}.`)
      }
      if (c.staffId === 0) return
      this.focusIfIdle(c)
      const lines = this.store.history(c.id, HISTORY_ON_TRANSFER).map(m => `${m.author === 'customer' ? c.customerName : m.author === 'staff' ? this.nameOf(m.authorId) : 'desk'}: ${m.text}`)
      await this.bot.sendTo(c.staffId, `${head}: transferred to you from ${titleOf(e.from)}. Last messages:\n${lines.join('\n')}`)
    } else if (c.staffId !== 0) {
      await this.bot.sendTo(c.staffId, `#${c.id} closed.`)
    }
  }

  async onCustomerMessage (c: Conversation, m: StoredMessage): Promise<number> {
    if (c.staffId === 0) return 0
    const sending = this.bot.sendTo(c.staffId, `#${c.id} · ${c.customerName}: ${m.text}`)
    const pending = this.inFlight.get(c.staffId) ?? new Set()
    this.inFlight.set(c.staffId, pending)
    pending.add(sending)
    try {
      const sent = await sending
      this.copies.set(`${c.staffId}:${sent.id}`, c.id)
      if (this.copies.size > TYPING_KEPT) this.copies.delete(this.copies.keys().next().value as string)
      return sent.id
    } finally {
      pending.delete(sending)
      if (pending.size === 0) this.inFlight.delete(c.staffId)
    }
  }

  async onStaffMessage (): Promise<void> {}

  async onCustomerTyping (c: Conversation): Promise<void> {
    if (c.staffId !== 0) await this.typing(c.staffId)
  }

  /**
   * A message a staff member wrote to the bot: an answer to the conversation
   * of the message it replies to, else to their current one. Returns what to
   * tell them when it could not be relayed (undefined: relayed).
   */
  async fromStaff (staffId: number, text: string, messageId: number, replyTo: number | undefined): Promise<string | undefined> {
    const desk = this.port()
    if (replyTo !== undefined) await Promise.allSettled([...(this.inFlight.get(staffId) ?? [])])
    const target = replyTo === undefined ? undefined : this.copies.get(`${staffId}:${replyTo}`) ?? this.store.conversationOfStaffMessage(staffId, replyTo)?.id
    const id = target ?? this.store.focus(staffId)
    if (id === undefined) return 'Which conversation? Reply to one of its messages, or choose one with /to <number> (/open lists yours).'
    try {
      await desk.answer(id, staffId, text, messageId)
      return undefined
    } catch (e) {
      if (e instanceof DeskError) return `Not sent: ${e.message}.`
      throw e
    }
  }

  /** A staff member is typing in their chat with the bot: the customer of their current conversation sees it. */
  async staffTyping (staffId: number): Promise<void> {
    const id = this.store.focus(staffId)
    if (id === undefined) return
    const c = this.store.conversation(id)
    if (c === undefined || c.staffId !== staffId || !this.due(c.customerId)) return
    await this.port().staffTyping(id)
  }

  async stop (): Promise<void> { this.desk = undefined }

  private async typing (chatId: number): Promise<void> {
    if (!this.due(chatId)) return
    await this.bot.session.invoke({ '@type': 'sendChatAction', chat_id: chatId, action: { '@type': 'chatActionTyping' } })
  }

  private due (chatId: number): boolean {
    const now = this.now()
    if (now - (this.typedAt.get(chatId) ?? -Infinity) < TYPING_EVERY_MS) return false
    this.typedAt.delete(chatId)
    this.typedAt.set(chatId, now)
    if (this.typedAt.size > TYPING_KEPT) this.typedAt.delete(this.typedAt.keys().next().value as number)
    return true
  }

  private focusIfIdle (c: Conversation): void {
    const current = this.store.focus(c.staffId)
    const open = current === undefined ? undefined : this.store.conversation(current)
    if (open?.status !== 'open' || open.staffId !== c.staffId) this.store.setFocus(c.staffId, c.id)
  }

  private port (): DeskPort {
    if (this.desk === undefined) throw new DeskError('CLOSED', 'the staff bridge is not running')
    return this.desk
  }
}

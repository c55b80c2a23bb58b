/**
 * The desk: conversations between customers (who write to the bot) and the
 * staff of a department. It opens a conversation when a customer picks a
 * department, assigns the least loaded staff member of it, stores every
 * message before relaying it, hands every event to the bridges, and takes
 * their answers, transfers and closings back (DeskPort).
 */
import type { Toolkit } from '@tdbroker/toolkit'
import type { Bridge, ConversationEvent, DeskPort } from './bridge.js'
import { titleOf, type DepartmentId } from './departments.js'
import { DeskError } from './errors.js'
import type { Conversation, DeskStore, StoredMessage } from './store.js'

export interface StaffMember { userId: number, name: string, department: DepartmentId }

export interface DeskLog { info: (msg: string) => void, error: (msg: string, e?: unknown) => void }

export class Desk implements DeskPort {
  private readonly staffById = new Map<number, StaffMember>()

  constructor (
    readonly store: DeskStore,
    private readonly bot: Toolkit,
    private readonly bridges: Bridge[],
    private readonly log: DeskLog,
    private readonly now: () => number = Date.now
  ) {}

  /** Sets the roster, once the staff accounts are known. */
  setStaff (staff: StaffMember[]): void {
    this.staffById.clear()
    for (const s of staff) this.staffById.set(s.userId, s)
  }

  /** Assigns the open conversations that wait for nobody (their department had no staff when they opened). */
  async assignWaiting (): Promise<void> {
    for (const c of this.store.openOfStaff(0)) {
      const staffId = this.pick(c.department)
      if (staffId === 0) continue
      this.store.assign(c.id, c.department, staffId)
      await this.emit({ kind: 'assigned', conversation: { ...c, staffId }, previousStaffId: 0 })
    }
  }

  staff (userId: number | undefined): StaffMember | undefined {
    return userId === undefined ? undefined : this.staffById.get(userId)
  }

  get roster (): StaffMember[] { return [...this.staffById.values()] }

  /** A customer chose a department (command or button): opens a conversation, or moves theirs. */
  async choose (customerId: number, customerName: string, department: DepartmentId): Promise<{ conversation: Conversation, already: boolean }> {
    const open = this.store.openOf(customerId)
    if (open !== undefined) {
      if (open.department === department) return { conversation: open, already: true }
      return { conversation: await this.transfer(open.id, department, 0), already: false }
    }
    const staffId = this.pick(department)
    const conversation = this.store.openConversation(customerId, customerName, department, staffId, this.now())
    this.store.addMessage({ conversationId: conversation.id, author: 'desk', authorId: 0, text: `opened in ${titleOf(department)}`, at: this.now() })
    this.log.info(`conversation #${conversation.id}: customer ${customerId} in ${department}, staff ${staffId}`)
    await this.emit({ kind: 'opened', conversation })
    return { conversation, already: false }
  }

  /** A customer's message: stored, then relayed by every bridge; the first copy delivered is its receipt. */
  async customerMessage (customerId: number, text: string, customerMessageId: number): Promise<StoredMessage | undefined> {
    const conversation = this.store.openOf(customerId)
    if (conversation === undefined) return undefined
    const id = this.store.addMessage({ conversationId: conversation.id, author: 'customer', authorId: customerId, text, at: this.now(), customerMessageId })
    const message = this.message(conversation.id, id)
    let delivered = false
    for (const b of this.bridges) {
      try {
        const copyId = await b.onCustomerMessage(conversation, message)
        if (!delivered && copyId !== 0) {
          delivered = true
          this.store.delivered(id, 'staff', copyId, conversation.staffId, this.now())
        }
      } catch (e) {
        this.log.error(`bridge ${b.name}: customer message of #${conversation.id} not relayed`, e)
      }
    }
    return this.message(conversation.id, id)
  }

  async customerTyping (customerId: number): Promise<void> {
    const conversation = this.store.openOf(customerId)
    if (conversation === undefined) return
    for (const b of this.bridges) await b.onCustomerTyping(conversation).catch(e => { this.log.error(`bridge ${b.name}: typing`, e) })
  }

  async answer (conversationId: number, staffId: number, text: string, staffMessageId = 0): Promise<StoredMessage> {
    const conversation = this.openConversation(conversationId)
    if (conversation.staffId !== staffId) throw new DeskError('NOT_ASSIGNED', `conversation #${conversationId} is assigned to someone else`)
    const id = this.store.addMessage({ conversationId, author: 'staff', authorId: staffId, text, at: this.now(), staffMessageId })
    const sent = await this.bot.sendTo(conversation.customerId, text)
    this.store.delivered(id, 'customer', sent.id, staffId, this.now())
    const message = this.message(conversationId, id)
    for (const b of this.bridges) await b.onStaffMessage(conversation, message).catch(e => { this.log.error(`bridge ${b.name}: staff message`, e) })
    return message
  }

  async transfer (conversationId: number, department: DepartmentId, byStaffId: number): Promise<Conversation> {
    const before = this.openConversation(conversationId)
    if (before.department === department) throw new DeskError('SAME_DEPARTMENT', `conversation #${conversationId} is already in ${titleOf(department)}`)
    const staffId = this.pick(department, before.staffId)
    this.store.assign(conversationId, department, staffId)
    this.store.addMessage({ conversationId, author: 'desk', authorId: byStaffId, text: `transferred from ${titleOf(before.department)} to ${titleOf(department)}`, at: this.now() })
    const conversation = { ...before, department, staffId }
    this.log.info(`conversation #${conversationId}: ${before.department} -> ${department}, staff ${before.staffId} -> ${staffId}`)
    await this.emit({ kind: 'transferred', conversation, from: before.department, previousStaffId: before.staffId, byStaffId })
    await this.bot.sendTo(conversation.customerId, `You are now with ${titleOf(department)}${this.byName(staffId)}.`)
    return conversation
  }

  async close (conversationId: number, byStaffId: number): Promise<void> {
    const conversation = this.openConversation(conversationId)
    this.store.addMessage({ conversationId, author: 'desk', authorId: byStaffId, text: 'closed', at: this.now() })
    this.store.close(conversationId)
    await this.emit({ kind: 'closed', conversation: { ...conversation, status: 'closed' }, byStaffId })
    await this.bot.sendTo(conversation.customerId, 'This conversation is closed. Write /start to talk to us again.')
  }

  async staffTyping (conversationId: number): Promise<void> {
    const c = this.store.conversation(conversationId)
    if (c?.status !== 'open') return
    await this.bot.session.invoke({ '@type': 'sendChatAction', chat_id: c.customerId, action: { '@type': 'chatActionTyping' } })
  }

  history (conversationId: number, limit?: number): StoredMessage[] {
    return this.store.history(conversationId, limit)
  }

  /** " (Bob will answer you)" for a staff member, "" for nobody. */
  byName (staffId: number): string {
    const s = this.staffById.get(staffId)
    return s === undefined ? ': nobody of it is available yet, we will answer as soon as someone is' : `: ${s.name} will answer you here`
  }

  /** The least loaded staff member of the department (ties: the one listed first), preferring anyone but `avoid`; 0 when it has none. */
  private pick (department: DepartmentId, avoid = 0): number {
    const loads = this.store.loads()
    const candidates = this.roster.filter(s => s.department === department)
    const ranked = candidates.sort((a, b) => (loads.get(a.userId) ?? 0) - (loads.get(b.userId) ?? 0))
    return (ranked.find(s => s.userId !== avoid) ?? ranked[0])?.userId ?? 0
  }

  private openConversation (id: number): Conversation {
    const c = this.store.conversation(id)
    if (c === undefined) throw new DeskError('NO_CONVERSATION', `there is no conversation #${id}`)
    if (c.status !== 'open') throw new DeskError('CLOSED', `conversation #${id} is closed`)
    return c
  }

  private message (conversationId: number, id: number): StoredMessage {
    const m = this.store.history(conversationId, 1)[0]
    if (m?.id === id) return m
    const found = this.store.history(conversationId).find(x => x.id === id)
    if (found === undefined) throw new DeskError('NO_CONVERSATION', `message ${id} of #${conversationId} is gone`)
    return found
  }

  private async emit (event: ConversationEvent): Promise<void> {
    for (const b of this.bridges) {
      try { await b.onConversation(event) } catch (e) { this.log.error(`bridge ${b.name}: ${event.kind} of #${event.conversation.id}`, e) }
    }
  }
}

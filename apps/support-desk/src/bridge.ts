/**
 * Where the staff side plugs in. The desk owns the customers' side (the bot),
 * the conversations, assignment and history; a Bridge carries each event to
 * the people who answer and brings their answers back through `DeskPort`.
 * The desk calls every bridge it was given, in order, for every event.
 *
 * `TelegramStaffBridge` (telegram-staff.ts) is the one that runs here: staff
 * read and answer in their own Telegram accounts. A Matrix bridge (the seed's
 * mautrix-telegram side) implements the same interface: README.md,
 * "Plugging in a Matrix bridge".
 */
import type { DepartmentId } from './departments.js'
import type { Conversation, StoredMessage } from './store.js'

export type ConversationEvent =
  | { kind: 'opened', conversation: Conversation }
  | { kind: 'assigned', conversation: Conversation, previousStaffId: number }
  | { kind: 'transferred', conversation: Conversation, from: DepartmentId, previousStaffId: number, byStaffId: number }
  | { kind: 'closed', conversation: Conversation, byStaffId: number }

/** What a bridge may ask the desk to do, on behalf of a staff member. */
export interface DeskPort {
  /** Relays a staff member's answer to the customer (stored first); resolves when Telegram stored it. */
  answer (conversationId: number, staffId: number, text: string, staffMessageId?: number): Promise<StoredMessage>
  /** Moves the conversation to another department (a staff member of it is assigned). */
  transfer (conversationId: number, department: DepartmentId, byStaffId: number): Promise<Conversation>
  close (conversationId: number, byStaffId: number): Promise<void>
  /** Shows the customer that staff is typing (Telegram's "typing…", about 5 s). */
  staffTyping (conversationId: number): Promise<void>
  history (conversationId: number, limit?: number): StoredMessage[]
}

export interface Bridge {
  readonly name: string
  /** Called once, before any event. */
  start (desk: DeskPort): Promise<void>
  onConversation (event: ConversationEvent): Promise<void>
  /**
   * A customer's message, already stored. Resolves with the id of its copy on
   * the staff side (0 when this bridge keeps none) once delivered there; the
   * desk records the first delivery as the message's receipt.
   */
  onCustomerMessage (conversation: Conversation, message: StoredMessage): Promise<number>
  /** A staff member's answer reached the customer (stored, delivered). */
  onStaffMessage (conversation: Conversation, message: StoredMessage): Promise<void>
  onCustomerTyping (conversation: Conversation): Promise<void>
  /** Safe to call twice. */
  stop (): Promise<void>
}

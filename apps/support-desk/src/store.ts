/**
 * The desk's history in SQLite (better-sqlite3 12: version 13 crashes on
 * Node 20): conversations, every message of each with its relay ids and
 * receipts, and each staff member's current conversation. It is the desk's
 * memory across restarts; the toolkit keeps the chats' states in the same file.
 */
import Database from 'better-sqlite3'
import { DEPARTMENT_IDS, type DepartmentId } from './departments.js'

export type Author = 'customer' | 'staff' | 'desk'

export interface Conversation {
  id: number
  customerId: number
  customerName: string
  department: DepartmentId
  /** The staff member's user id; 0 while nobody of the department is available. */
  staffId: number
  status: 'open' | 'closed'
  openedAt: number
}

export interface StoredMessage {
  id: number
  conversationId: number
  author: Author
  authorId: number
  text: string
  at: number
  /** The message's id in the customer's chat with the bot, and in the staff member's (0: none). */
  customerMessageId: number
  staffMessageId: number
  /** When Telegram stored the relayed copy on the other side (ms): the delivery receipt. */
  deliveredAt: number | null
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS desk_conversation (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL,
  customer_name TEXT NOT NULL,
  department TEXT NOT NULL CHECK (department IN (${DEPARTMENT_IDS.map(d => `'${d}'`).join(', ')})),
  staff_id INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  opened_at INTEGER NOT NULL
);
-- At most one open conversation per customer: a second one would split their messages.
CREATE UNIQUE INDEX IF NOT EXISTS desk_one_open ON desk_conversation (customer_id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS desk_by_staff ON desk_conversation (staff_id, status);
CREATE TABLE IF NOT EXISTS desk_message (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id INTEGER NOT NULL REFERENCES desk_conversation (id),
  author TEXT NOT NULL CHECK (author IN ('customer', 'staff', 'desk')),
  author_id INTEGER NOT NULL,
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  customer_message_id INTEGER NOT NULL DEFAULT 0,
  staff_message_id INTEGER NOT NULL DEFAULT 0,
  staff_id INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS desk_message_by_conversation ON desk_message (conversation_id, id);
CREATE INDEX IF NOT EXISTS desk_message_by_staff_copy ON desk_message (staff_id, staff_message_id);
CREATE TABLE IF NOT EXISTS desk_staff_focus (
  staff_id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES desk_conversation (id)
);
`

interface ConversationRow { id: number, customer_id: number, customer_name: string, department: DepartmentId, staff_id: number, status: 'open' | 'closed', opened_at: number }
interface MessageRow { id: number, conversation_id: number, author: Author, author_id: number, text: string, at: number, customer_message_id: number, staff_message_id: number, delivered_at: number | null }

function conversation (r: ConversationRow): Conversation {
  return { id: r.id, customerId: r.customer_id, customerName: r.customer_name, department: r.department, staffId: r.staff_id, status: r.status, openedAt: r.opened_at }
}

function message (r: MessageRow): StoredMessage {
  return {
    id: r.id, conversationId: r.conversation_id, author: r.author, authorId: r.author_id, text: r.text, at: r.at,
    customerMessageId: r.customer_message_id, staffMessageId: r.staff_message_id, deliveredAt: r.delivered_at
  }
}

export class DeskStore {
  private readonly db: Database.Database

  constructor (file: string) {
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    // Every message is a commit; NORMAL keeps that to one fsync per checkpoint, still safe against a crash of the process.
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    this.db.exec(SCHEMA)
  }

  openConversation (customerId: number, customerName: string, department: DepartmentId, staffId: number, at: number): Conversation {
    const r = this.db.prepare('INSERT INTO desk_conversation (customer_id, customer_name, department, staff_id, status, opened_at) VALUES (?, ?, ?, ?, \'open\', ?) RETURNING *')
      .get(customerId, customerName, department, staffId, at) as ConversationRow
    return conversation(r)
  }

  openOf (customerId: number): Conversation | undefined {
    const r = this.db.prepare('SELECT * FROM desk_conversation WHERE customer_id = ? AND status = \'open\'').get(customerId) as ConversationRow | undefined
    return r === undefined ? undefined : conversation(r)
  }

  conversation (id: number): Conversation | undefined {
    const r = this.db.prepare('SELECT * FROM desk_conversation WHERE id = ?').get(id) as ConversationRow | undefined
    return r === undefined ? undefined : conversation(r)
  }

  /** Open conversations of a staff member (or of nobody: 0), oldest first. */
  openOfStaff (staffId: number): Conversation[] {
    return (this.db.prepare('SELECT * FROM desk_conversation WHERE staff_id = ? AND status = \'open\' ORDER BY id').all(staffId) as ConversationRow[]).map(conversation)
  }

  /** Open conversations per staff member. */
  loads (): Map<number, number> {
    const rows = this.db.prepare('SELECT staff_id, COUNT(*) AS n FROM desk_conversation WHERE status = \'open\' GROUP BY staff_id').all() as Array<{ staff_id: number, n: number }>
    return new Map(rows.map(r => [r.staff_id, r.n]))
  }

  assign (conversationId: number, department: DepartmentId, staffId: number): void {
    this.db.prepare('UPDATE desk_conversation SET department = ?, staff_id = ? WHERE id = ?').run(department, staffId, conversationId)
  }

  close (conversationId: number): void {
    this.db.prepare('UPDATE desk_conversation SET status = \'closed\' WHERE id = ?').run(conversationId)
    this.db.prepare('DELETE FROM desk_staff_focus WHERE conversation_id = ?').run(conversationId)
  }

  /** A staff member's own message (`staffMessageId`) is kept as theirs, so that a reply to it finds the conversation. */
  addMessage (m: { conversationId: number, author: Author, authorId: number, text: string, at: number, customerMessageId?: number, staffMessageId?: number }): number {
    const staffId = m.author === 'staff' ? m.authorId : 0
    const r = this.db.prepare('INSERT INTO desk_message (conversation_id, author, author_id, text, at, customer_message_id, staff_message_id, staff_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(m.conversationId, m.author, m.authorId, m.text, m.at, m.customerMessageId ?? 0, m.staffMessageId ?? 0, staffId)
    return Number(r.lastInsertRowid)
  }

  /** The relayed copy reached the other side: its id there, and when. `staffId` is whose chat holds the staff-side copy. */
  delivered (messageId: number, side: 'customer' | 'staff', copyId: number, staffId: number, at: number): void {
    if (side === 'staff') this.db.prepare('UPDATE desk_message SET staff_message_id = ?, staff_id = ?, delivered_at = ? WHERE id = ?').run(copyId, staffId, at, messageId)
    else this.db.prepare('UPDATE desk_message SET customer_message_id = ?, delivered_at = ? WHERE id = ?').run(copyId, at, messageId)
  }

  /** The conversation a message in a staff member's chat belongs to (a relayed copy, or the staff member's own message). */
  conversationOfStaffMessage (staffId: number, staffMessageId: number): Conversation | undefined {
    const r = this.db.prepare('SELECT c.* FROM desk_message m JOIN desk_conversation c ON c.id = m.conversation_id WHERE m.staff_id = ? AND m.staff_message_id = ?')
      .get(staffId, staffMessageId) as ConversationRow | undefined
    return r === undefined ? undefined : conversation(r)
  }

  /** A conversation's messages, oldest first; the last `limit` when given. */
  history (conversationId: number, limit?: number): StoredMessage[] {
    const rows = limit === undefined
      ? this.db.prepare('SELECT * FROM desk_message WHERE conversation_id = ? ORDER BY id').all(conversationId) as MessageRow[]
      : (this.db.prepare('SELECT * FROM desk_message WHERE conversation_id = ? ORDER BY id DESC LIMIT ?').all(conversationId, limit) as MessageRow[]).reverse()
    return rows.map(message)
  }

  focus (staffId: number): number | undefined {
    const r = this.db.prepare('SELECT conversation_id FROM desk_staff_focus WHERE staff_id = ?').get(staffId) as { conversation_id: number } | undefined
    return r?.conversation_id
  }

  setFocus (staffId: number, conversationId: number): void {
    this.db.prepare('INSERT INTO desk_staff_focus (staff_id, conversation_id) VALUES (?, ?) ON CONFLICT (staff_id) DO UPDATE SET conversation_id = excluded.conversation_id').run(staffId, conversationId)
  }

  dropFocus (staffId: number): void {
    this.db.prepare('DELETE FROM desk_staff_focus WHERE staff_id = ?').run(staffId)
  }

  closeDb (): void {
    if (this.db.open) this.db.close()
  }
}

/**
 * The toolkit's SQLite database (better-sqlite3): chats and their machine's
 * state, privilege groups, who holds what, scheduled events and topic
 * subscriptions. Normalised: one row per fact (a user's privilege, a group's
 * member), keyed by chat, so that a grant or a revoke is one INSERT or DELETE
 * and the database itself refuses what must never happen (the Admin group's
 * removal, a privilege stored on Admin, a malformed name).
 */
import Database from 'better-sqlite3'

export const ADMIN_GROUP = 'admin'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chat (
  chat_id    INTEGER PRIMARY KEY,
  state      TEXT NOT NULL,
  owner_id   INTEGER,
  first_seen INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS privilege_group (
  chat_id INTEGER NOT NULL REFERENCES chat (chat_id),
  name    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32 AND name NOT GLOB '*[^a-z0-9_]*' AND substr(name, 1, 1) GLOB '[a-z]'),
  PRIMARY KEY (chat_id, name)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS admin_group_stays BEFORE DELETE ON privilege_group WHEN OLD.name = '${ADMIN_GROUP}'
BEGIN SELECT RAISE(ABORT, 'the admin group cannot be removed'); END;
CREATE TABLE IF NOT EXISTS group_privilege (
  chat_id    INTEGER NOT NULL,
  group_name TEXT NOT NULL CHECK (group_name <> '${ADMIN_GROUP}'),
  privilege  TEXT NOT NULL CHECK (length(privilege) BETWEEN 1 AND 64 AND privilege NOT GLOB '*[^a-z_]*'),
  PRIMARY KEY (chat_id, group_name, privilege),
  FOREIGN KEY (chat_id, group_name) REFERENCES privilege_group (chat_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_member (
  chat_id    INTEGER NOT NULL,
  group_name TEXT NOT NULL,
  user_id    INTEGER NOT NULL,
  PRIMARY KEY (chat_id, group_name, user_id),
  FOREIGN KEY (chat_id, group_name) REFERENCES privilege_group (chat_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_member_by_user ON group_member (chat_id, user_id);
CREATE TABLE IF NOT EXISTS user_privilege (
  chat_id   INTEGER NOT NULL REFERENCES chat (chat_id),
  user_id   INTEGER NOT NULL,
  privilege TEXT NOT NULL CHECK (length(privilege) BETWEEN 1 AND 64 AND privilege NOT GLOB '*[^a-z_]*'),
  PRIMARY KEY (chat_id, user_id, privilege)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scheduled_event (
  id         INTEGER PRIMARY KEY,
  chat_id    INTEGER NOT NULL,
  due_at     INTEGER NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('delete_message', 'timer')),
  message_id INTEGER,
  timer_name TEXT,
  CHECK ((kind = 'delete_message') = (message_id IS NOT NULL) AND (kind = 'timer') = (timer_name IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS scheduled_event_by_due ON scheduled_event (due_at);
CREATE UNIQUE INDEX IF NOT EXISTS scheduled_timer ON scheduled_event (chat_id, timer_name) WHERE kind = 'timer';
CREATE TABLE IF NOT EXISTS topic_subscription (
  topic   TEXT NOT NULL,
  chat_id INTEGER NOT NULL,
  PRIMARY KEY (topic, chat_id)
) WITHOUT ROWID;
`

export interface ScheduledEvent {
  id: number
  chatId: number
  dueAt: number
  kind: 'delete_message' | 'timer'
  messageId: number | null
  timerName: string | null
}

export interface GroupInfo { name: string, privileges: string[], members: number }

/** One database file (or ':memory:'); every method is synchronous, as better-sqlite3 is. */
export class ToolkitStore {
  private readonly db: Database.Database

  constructor (file: string) {
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('foreign_keys = ON')
    this.db.exec(SCHEMA)
  }

  close (): void { if (this.db.open) this.db.close() }

  /** The chat's stored state, or undefined on first contact. */
  chatState (chatId: number): string | undefined {
    const row = this.db.prepare('SELECT state FROM chat WHERE chat_id = ?').get(chatId) as { state: string } | undefined
    return row?.state
  }

  /** First contact: the chat, its Admin group, and its owner (when known) in Admin, in one transaction. */
  createChat (chatId: number, state: string, ownerId: number | undefined, now: number): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO chat (chat_id, state, owner_id, first_seen) VALUES (?, ?, ?, ?)').run(chatId, state, ownerId ?? null, now)
      this.db.prepare('INSERT OR IGNORE INTO privilege_group (chat_id, name) VALUES (?, ?)').run(chatId, ADMIN_GROUP)
      if (ownerId !== undefined) this.addMember(chatId, ADMIN_GROUP, ownerId)
    })()
  }

  setState (chatId: number, state: string): void {
    this.db.prepare('UPDATE chat SET state = ? WHERE chat_id = ?').run(state, chatId)
  }

  owner (chatId: number): number | undefined {
    const row = this.db.prepare('SELECT owner_id FROM chat WHERE chat_id = ?').get(chatId) as { owner_id: number | null } | undefined
    return row?.owner_id ?? undefined
  }

  // Privileges

  /** Whether the user holds the privilege in the chat: in Admin, directly, or through a group. */
  holds (chatId: number, userId: number, privilege: string): boolean {
    return this.db.prepare(`
      SELECT 1 FROM group_member WHERE chat_id = @chat AND user_id = @user AND group_name = '${ADMIN_GROUP}'
      UNION ALL SELECT 1 FROM user_privilege WHERE chat_id = @chat AND user_id = @user AND privilege = @privilege
      UNION ALL SELECT 1 FROM group_member m JOIN group_privilege p ON p.chat_id = m.chat_id AND p.group_name = m.group_name
        WHERE m.chat_id = @chat AND m.user_id = @user AND p.privilege = @privilege
      LIMIT 1`).get({ chat: chatId, user: userId, privilege }) !== undefined
  }

  /** True when it was not held directly before. */
  grant (chatId: number, userId: number, privilege: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO user_privilege (chat_id, user_id, privilege) VALUES (?, ?, ?)').run(chatId, userId, privilege).changes === 1
  }

  /** True when it was held directly. */
  revoke (chatId: number, userId: number, privilege: string): boolean {
    return this.db.prepare('DELETE FROM user_privilege WHERE chat_id = ? AND user_id = ? AND privilege = ?').run(chatId, userId, privilege).changes === 1
  }

  userPrivileges (chatId: number, userId: number): string[] {
    return (this.db.prepare('SELECT privilege FROM user_privilege WHERE chat_id = ? AND user_id = ? ORDER BY privilege').all(chatId, userId) as Array<{ privilege: string }>).map(r => r.privilege)
  }

  // Groups

  groupExists (chatId: number, name: string): boolean {
    return this.db.prepare('SELECT 1 FROM privilege_group WHERE chat_id = ? AND name = ?').get(chatId, name) !== undefined
  }

  /** True when it did not exist. */
  addGroup (chatId: number, name: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO privilege_group (chat_id, name) VALUES (?, ?)').run(chatId, name).changes === 1
  }

  /** True when it existed (its privileges and members go with it). The database refuses Admin. */
  deleteGroup (chatId: number, name: string): boolean {
    return this.db.prepare('DELETE FROM privilege_group WHERE chat_id = ? AND name = ?').run(chatId, name).changes === 1
  }

  groupGrant (chatId: number, group: string, privilege: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO group_privilege (chat_id, group_name, privilege) VALUES (?, ?, ?)').run(chatId, group, privilege).changes === 1
  }

  groupRevoke (chatId: number, group: string, privilege: string): boolean {
    return this.db.prepare('DELETE FROM group_privilege WHERE chat_id = ? AND group_name = ? AND privilege = ?').run(chatId, group, privilege).changes === 1
  }

  /** Every group of the chat, Admin first, with its privileges (Admin's: every one, shown as '*') and member count. */
  groups (chatId: number): GroupInfo[] {
    const rows = this.db.prepare(`
      SELECT g.name,
        (SELECT group_concat(privilege, ' ') FROM (SELECT privilege FROM group_privilege p WHERE p.chat_id = g.chat_id AND p.group_name = g.name ORDER BY privilege)) AS privileges,
        (SELECT count(*) FROM group_member m WHERE m.chat_id = g.chat_id AND m.group_name = g.name) AS members
      FROM privilege_group g WHERE g.chat_id = ? ORDER BY g.name <> '${ADMIN_GROUP}', g.name`).all(chatId) as Array<{ name: string, privileges: string | null, members: number }>
    return rows.map(r => ({ name: r.name, privileges: r.name === ADMIN_GROUP ? ['*'] : (r.privileges ?? '').split(' ').filter(p => p !== ''), members: r.members }))
  }

  addMember (chatId: number, group: string, userId: number): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO group_member (chat_id, group_name, user_id) VALUES (?, ?, ?)').run(chatId, group, userId).changes === 1
  }

  removeMember (chatId: number, group: string, userId: number): boolean {
    return this.db.prepare('DELETE FROM group_member WHERE chat_id = ? AND group_name = ? AND user_id = ?').run(chatId, group, userId).changes === 1
  }

  userGroups (chatId: number, userId: number): string[] {
    return (this.db.prepare('SELECT group_name FROM group_member WHERE chat_id = ? AND user_id = ? ORDER BY group_name').all(chatId, userId) as Array<{ group_name: string }>).map(r => r.group_name)
  }

  // Scheduled events

  scheduleDeletion (chatId: number, messageId: number, dueAt: number): void {
    this.db.prepare('INSERT INTO scheduled_event (chat_id, due_at, kind, message_id) VALUES (?, ?, \'delete_message\', ?)').run(chatId, dueAt, messageId)
  }

  /** One timer per name and chat: setting it again moves it. */
  scheduleTimer (chatId: number, name: string, dueAt: number): void {
    this.db.prepare(`INSERT INTO scheduled_event (chat_id, due_at, kind, timer_name) VALUES (?, ?, 'timer', ?)
      ON CONFLICT (chat_id, timer_name) WHERE kind = 'timer' DO UPDATE SET due_at = excluded.due_at`).run(chatId, dueAt, name)
  }

  cancelTimer (chatId: number, name: string): boolean {
    return this.db.prepare('DELETE FROM scheduled_event WHERE chat_id = ? AND kind = \'timer\' AND timer_name = ?').run(chatId, name).changes === 1
  }

  nextDue (): number | undefined {
    const row = this.db.prepare('SELECT min(due_at) AS due FROM scheduled_event').get() as { due: number | null }
    return row.due ?? undefined
  }

  /** Events due at `now`, oldest first, at most `limit`. */
  due (now: number, limit: number): ScheduledEvent[] {
    return (this.db.prepare('SELECT id, chat_id, due_at, kind, message_id, timer_name FROM scheduled_event WHERE due_at <= ? ORDER BY due_at, id LIMIT ?').all(now, limit) as Array<Record<string, unknown>>)
      .map(r => ({ id: r.id as number, chatId: r.chat_id as number, dueAt: r.due_at as number, kind: r.kind as ScheduledEvent['kind'], messageId: r.message_id as number | null, timerName: r.timer_name as string | null }))
  }

  pendingDeletions (chatId: number): number[] {
    return (this.db.prepare('SELECT message_id FROM scheduled_event WHERE chat_id = ? AND kind = \'delete_message\' ORDER BY due_at').all(chatId) as Array<{ message_id: number }>).map(r => r.message_id)
  }

  doneEvent (id: number): void {
    this.db.prepare('DELETE FROM scheduled_event WHERE id = ?').run(id)
  }

  postpone (id: number, dueAt: number): void {
    this.db.prepare('UPDATE scheduled_event SET due_at = ? WHERE id = ?').run(dueAt, id)
  }

  // Topics

  subscribe (topic: string, chatId: number): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO topic_subscription (topic, chat_id) VALUES (?, ?)').run(topic, chatId).changes === 1
  }

  unsubscribe (topic: string, chatId: number): boolean {
    return this.db.prepare('DELETE FROM topic_subscription WHERE topic = ? AND chat_id = ?').run(topic, chatId).changes === 1
  }

  subscribers (topic: string): number[] {
    return (this.db.prepare('SELECT chat_id FROM topic_subscription WHERE topic = ? ORDER BY chat_id').all(topic) as Array<{ chat_id: number }>).map(r => r.chat_id)
  }
}

/** What the broker keeps besides the session folders: the same rows locally and in MySQL. */

/** One session (one Telegram account) as the registry knows it. */
export interface SessionRecord {
  session_id: string
  /** Telegram user id, once the session has logged in. */
  user_id?: number
  phone?: string
  is_bot?: boolean
  /** When the session folder was made (ms since the epoch). */
  created: number
  /** The last request sent to the session (ms since the epoch). */
  last_active: number
}

/** A Telegram user some session has seen: from a login or a phone number resolution. */
export interface UserRecord {
  user_id: number
  phone?: string
  is_bot: boolean
  /** When this was learned (ms since the epoch); the resolve cache's age. */
  updated: number
}

/** A public username and the chat it belongs to. */
export interface UsernameRecord {
  /** Lower case, without "@". */
  username: string
  chat_id: number
  /** Set when the chat is a private chat with a user (or bot). */
  user_id?: number
  is_bot?: boolean
  /** When it was resolved (ms since the epoch). */
  resolved: number
}

/** A row change for the mirror; the newest change of one key replaces older ones. */
export type MirrorWrite =
  | { table: 'sessions', row: SessionRecord }
  | { table: 'users', row: UserRecord }
  | { table: 'usernames', row: UsernameRecord }

export function writeKey (write: MirrorWrite): string {
  switch (write.table) {
    case 'sessions': return `s:${write.row.session_id}`
    case 'users': return `u:${write.row.user_id}`
    case 'usernames': return `n:${write.row.username}`
  }
}

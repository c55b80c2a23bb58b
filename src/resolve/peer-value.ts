/**
 * What a client wrote in a request_peers field: an id (passed on as it is),
 * a username, a phone number, or something that is none of these.
 *
 * - numbers, and strings of digits with an optional minus sign, are ids;
 *   TDLib accepts both forms, so they pass untouched. A phone number written
 *   as bare digits therefore counts as an id: write it with "+" (or with
 *   spaces, dashes or brackets) to have it resolved;
 * - `@name` or `name` (a letter, then letters, digits or "_", 4 to 32 in
 *   all) is a username;
 * - digits with "+", spaces, dashes, dots or brackets (5 to 15 digits) are
 *   a phone number;
 * - any other string is refused (PEER_INVALID). Values that are not strings
 *   or numbers (null, objects) are left for TDLib to judge.
 */

export type PeerValue =
  | { kind: 'id' }
  | { kind: 'username', username: string }
  | { kind: 'phone', phone: string }
  | { kind: 'invalid' }

const ID = /^-?[0-9]+$/
const USERNAME = /^@?([A-Za-z][A-Za-z0-9_]{3,31})$/
const PHONE = /^\+?[0-9\s().-]+$/

export function classifyPeer (value: unknown): PeerValue {
  if (typeof value !== 'string') return { kind: 'id' }
  const text = value.trim()
  if (ID.test(text)) return { kind: 'id' }
  const name = USERNAME.exec(text)
  if (name !== null) return { kind: 'username', username: name[1]!.toLowerCase() }
  if (PHONE.test(text)) {
    const digits = text.replace(/[^0-9]/g, '')
    if (digits.length >= 5 && digits.length <= 15) return { kind: 'phone', phone: digits }
  }
  return { kind: 'invalid' }
}

/** Whether a field takes a user id (user_id, bot_user_id, user_ids, ...) rather than a chat id. */
export function isUserField (field: string): boolean {
  return /user_ids?$/.test(field)
}

/**
 * Which chats a request names by field name, and which chat an update is
 * about (answers are filtered by answers.ts). docs/clients.md ("Chat scope")
 * states these rules for operators; keep the two in step.
 *
 * Ids are TDLib chat ids. A user counts as its private chat (TDLib gives the
 * private chat with user N the id N); basic groups, supergroups and secret
 * chats are mapped to their chat ids the way TDLib forms them.
 */
import type { TdObject } from '../tdlib/backend.js'

const SUPERGROUP_BASE = -1_000_000_000_000
const SECRET_CHAT_BASE = -2_000_000_000_000

type Kind = 'chat' | 'user' | 'supergroup' | 'basic_group' | 'secret_chat'

/** The chat id of an id of some kind. */
export function chatIdOf (kind: Kind, id: number): number {
  switch (kind) {
    case 'chat': case 'user': return id
    case 'supergroup': return SUPERGROUP_BASE - id
    case 'basic_group': return -id
    case 'secret_chat': return SECRET_CHAT_BASE + id
  }
}

/** The kind of id a request field holds, by its name; undefined for fields that name no chat. */
function fieldKind (key: string): Kind | undefined {
  switch (key) {
    case 'supergroup_id': case 'supergroup_ids': return 'supergroup'
    case 'basic_group_id': case 'basic_group_ids': return 'basic_group'
    case 'secret_chat_id': case 'secret_chat_ids': return 'secret_chat'
  }
  // chat_id, from_chat_id, sender_chat_id, included_chat_ids, ...; user_id, bot_user_id, user_ids, ...
  if (/(?:^|_)chat_ids?$/.test(key)) return 'chat'
  if (/(?:^|_)user_ids?$/.test(key)) return 'user'
  return undefined
}

/** Fields that name a chat by text, which cannot be checked before TDLib resolves them. */
const TEXT_PEER_FIELDS: ReadonlySet<string> = new Set(['username', 'invite_link'])

const MAX_DEPTH = 64

/**
 * Every chat a request names, anywhere in it (0, TDLib's "none", is left
 * out). Returns a string saying why when a field cannot be checked: an id
 * that is not a number, or a chat named by username or invite link.
 */
export function requestChats (request: TdObject): number[] | string {
  const found: number[] = []
  const walk = (value: unknown, depth: number, path: string): string | undefined => {
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined
    const entries: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((v, i) => [String(i), v])
      : Object.entries(value)
    for (const [key, inner] of entries) {
      const where = path === '' ? key : `${path}.${key}`
      const kind = Array.isArray(value) ? undefined : fieldKind(key)
      if (kind !== undefined) {
        for (const item of Array.isArray(inner) ? inner : [inner]) {
          const id = asId(item)
          if (id === undefined) return `${where} must be a numeric id`
          if (id !== 0) found.push(chatIdOf(kind, id))
        }
        continue
      }
      if (!Array.isArray(value) && TEXT_PEER_FIELDS.has(key) && typeof inner === 'string' && inner !== '') {
        return `${where} names a chat by text, which a client limited to some chats may not do`
      }
      const problem = walk(inner, depth + 1, where)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  const problem = walk(request, 0, '')
  return problem ?? found
}

/** A number, or a string of digits as TDLib's JSON also accepts; undefined for anything else. */
function asId (value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value === 'string' && /^-?[0-9]{1,16}$/.test(value)) return Number(value)
  return undefined
}

const num = (v: unknown): number | undefined => typeof v === 'number' && Number.isSafeInteger(v) && v !== 0 ? v : undefined
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined

/**
 * The chat an update is about, or undefined when it names none. The first
 * rule that applies wins: chat_id; message.chat_id; chat.id; user_id or
 * sender_user_id; user.id; the group or secret chat (object or id); call.user_id.
 */
export function updateChat (update: TdObject): number | undefined {
  let id: number | undefined
  if ((id = num(update.chat_id)) !== undefined) return id
  if ((id = num(obj(update.message)?.chat_id)) !== undefined) return id
  if ((id = num(obj(update.chat)?.id)) !== undefined) return id
  if ((id = num(update.user_id) ?? num(update.sender_user_id)) !== undefined) return id
  if ((id = num(obj(update.user)?.id)) !== undefined) return id
  if ((id = num(obj(update.supergroup)?.id) ?? num(update.supergroup_id)) !== undefined) return chatIdOf('supergroup', id)
  if ((id = num(obj(update.basic_group)?.id) ?? num(update.basic_group_id)) !== undefined) return chatIdOf('basic_group', id)
  if ((id = num(obj(update.secret_chat)?.id) ?? num(update.secret_chat_id)) !== undefined) return chatIdOf('secret_chat', id)
  if ((id = num(obj(update.call)?.user_id)) !== undefined) return id
  return undefined
}

/**
 * The emulated Telegram's data: accounts, groups, conversations and their
 * messages, and the id arithmetic TDLib uses (private chat id = user id,
 * basic group chat id = -id, supergroup chat id = -(10^12 + id), message id =
 * server id * 2^20).
 */
import type { Td, Tl } from './td.js'
import type { Device } from './device.js'

export const MESSAGE_ID_STEP = 1048576
const SUPERGROUP_BASE = 1_000_000_000_000
/** Messages kept per conversation; older ones are forgotten (bounded memory). */
export const MAX_MESSAGES_PER_CHAT = 10_000

/** Chat id of a basic group. */
export function basicGroupChatId (basicGroupId: number): number {
  return -basicGroupId
}

/** Chat id of a supergroup or channel (-100xxxxxxxxxx). */
export function supergroupChatId (supergroupId: number): number {
  return -(SUPERGROUP_BASE + supergroupId)
}

/** What kind of chat an id names, from its range alone. */
export function chatIdKind (chatId: number): 'private' | 'basic' | 'super' | 'invalid' {
  if (!Number.isSafeInteger(chatId) || chatId === 0) return 'invalid'
  if (chatId > 0) return 'private'
  if (chatId > -SUPERGROUP_BASE) return 'basic'
  if (chatId > -2 * SUPERGROUP_BASE) return 'super'
  return 'invalid'
}

export interface Account {
  readonly id: number
  readonly isBot: boolean
  /** Digits only; empty for bots. */
  readonly phone: string
  firstName: string
  lastName: string
  username?: string
  password?: string
  passwordHint: string
  loginCode: string
  needsEmail: boolean
  emailAddress?: string
  emailCode: string
  botToken?: string
  isInline: boolean
  inlinePlaceholder: string
  /** Created by registerUser rather than the seed. */
  registered: boolean
  readonly contacts: Set<number>
  /** Logged-in devices (session folders), open or not. */
  readonly devices: Set<Device>
}

/** A restricted member is still a member (is_member), with fewer permissions. */
export type MemberStatus = 'creator' | 'administrator' | 'member' | 'restricted'

export interface Member {
  readonly userId: number
  status: MemberStatus
  readonly joinedDate: number
  readonly inviterId: number
  /** An administrator's rights when promoted through setChatMemberStatus (seeded ones have the sandbox's default set). */
  rights?: Td<Tl.chatAdministratorRights>
  /** Who promoted an administrator: only they and the creator may edit its rights, as in Telegram. */
  promotedBy?: number
  /** A restricted member's permissions and until when (0: for ever; not lifted by time in the sandbox). */
  restriction?: { readonly permissions: Td<Tl.chatPermissions>, readonly untilDate: number }
}

export interface Group {
  readonly kind: 'basic' | 'super'
  /** basic_group_id or supergroup_id. */
  readonly id: number
  readonly chatId: number
  title: string
  username?: string
  description: string
  readonly isChannel: boolean
  readonly creatorId: number
  readonly date: number
  readonly members: Map<number, Member>
  /** Users banned from a supergroup or channel (not members), with who banned them, when and until when (0: forever). */
  readonly banned: Map<number, Ban>
  readonly conv: Conversation
}

export interface Ban {
  readonly byId: number
  readonly date: number
  readonly untilDate: number
}

export interface StoredMessage {
  readonly id: number
  readonly conv: Conversation
  readonly senderId: number
  /** A channel post: the sender shown is the channel itself. */
  readonly asChannel: boolean
  readonly date: number
  editDate: number
  content: Td<Tl.MessageContent>
  replyMarkup?: Td<Tl.ReplyMarkup>
  readonly replyToId: number
  readonly forward?: { readonly senderId: number, readonly date: number }
  readonly viaBotId: number
  /** Set for messages sent through an inline bot, so its buttons can be used inline. */
  inlineMessageId?: string
  /** Users who deleted the message for themselves only. */
  hiddenFor?: Set<number>
  deleted: boolean
}

export class Conversation {
  readonly key: string
  readonly kind: 'private' | 'basic' | 'super'
  /** The two users of a private chat (the same id twice for Saved Messages). */
  readonly peers?: readonly [number, number]
  group?: Group
  readonly messages = new Map<number, StoredMessage>()
  /** Everyone who ever wrote here (a bot may answer a user only after the user wrote). */
  readonly senders = new Set<number>()
  private readonly log: StoredMessage[] = []
  private lastServerId = 0
  private tempSeq = 0
  /** Position in the chat list (a world-wide sequence of last activity); 0 = not listed. */
  order = 0

  constructor (key: string, kind: Conversation['kind'], peers?: readonly [number, number]) {
    this.key = key
    this.kind = kind
    if (peers !== undefined) this.peers = peers
  }

  nextMessageId (): number {
    this.lastServerId += 1
    return this.lastServerId * MESSAGE_ID_STEP
  }

  /** A yet-unsent message id (never a multiple of 2^20, like TDLib's). */
  nextTemporaryId (): number {
    this.tempSeq = (this.tempSeq % (MESSAGE_ID_STEP - 2)) + 1
    return (this.lastServerId * MESSAGE_ID_STEP) + this.tempSeq
  }

  add (message: StoredMessage, order: number): void {
    this.messages.set(message.id, message)
    this.senders.add(message.senderId)
    this.log.push(message)
    this.order = order
    if (this.log.length > 2 * MAX_MESSAGES_PER_CHAT) {
      for (const old of this.log.splice(0, this.log.length - MAX_MESSAGES_PER_CHAT)) this.messages.delete(old.id)
    }
  }

  /** The message as `viewerId` may see it, or undefined. */
  visible (messageId: number, viewerId: number): StoredMessage | undefined {
    const m = this.messages.get(messageId)
    if (m === undefined || m.deleted || m.hiddenFor?.has(viewerId) === true) return undefined
    return m
  }

  lastVisible (viewerId: number): StoredMessage | undefined {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const m = this.log[i]!
      if (!m.deleted && m.hiddenFor?.has(viewerId) !== true) return m
    }
    return undefined
  }

  /** Newest first, starting at `fromId` (0: the newest), like getChatHistory. */
  history (viewerId: number, fromId: number, offset: number, limit: number): StoredMessage[] {
    const out: StoredMessage[] = []
    let start = this.log.length - 1
    if (fromId !== 0) while (start >= 0 && this.log[start]!.id > fromId) start--
    start -= offset // a negative offset reaches newer messages, as in TDLib
    for (let i = Math.min(start, this.log.length - 1); i >= 0 && out.length < limit; i--) {
      const m = this.log[i]!
      if (!m.deleted && m.hiddenFor?.has(viewerId) !== true) out.push(m)
    }
    return out
  }

  /** Users who take part: both peers, or the group's members. */
  participants (): Iterable<number> {
    if (this.peers !== undefined) return this.peers[0] === this.peers[1] ? [this.peers[0]] : this.peers
    return this.group?.members.keys() ?? []
  }

  /** The chat id `viewerId` knows this conversation by. */
  chatIdFor (viewerId: number): number {
    if (this.peers !== undefined) return this.peers[0] === viewerId ? this.peers[1] : this.peers[0]
    return this.group!.chatId
  }
}

/** The key of the private conversation between two users, the same from both sides. */
export function privateKey (a: number, b: number): string {
  return a < b ? `p${a}:${b}` : `p${b}:${a}`
}

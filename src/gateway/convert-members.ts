/**
 * Members, invite links, inline queries and command lists as the Bot API
 * shows them, derived from TDLib's objects the way telegram-bot-api does:
 * TDLib's chatMemberStatus* become ChatMember kinds (Banned is "kicked"),
 * administrator rights are shown per chat type (channels have post/edit
 * rights, groups pin and tag rights, supergroups topics), and an
 * updateChatMember is the bot's my_chat_member when it is about the bot.
 * Typed against @grammyjs/types.
 */
import type {
  BotCommand, ChatInviteLink, ChatMember, ChatMemberAdministrator, ChatMemberUpdated, ChosenInlineResult, InlineQuery
} from '@grammyjs/types'
import type { TdObject } from '../tdlib/backend.js'
import { toChat, toUser, type Known } from './convert.js'

type Obj = Record<string, any>

/** The chat kinds that decide which administrator rights are shown. */
export type ChatKind = 'private' | 'group' | 'supergroup' | 'channel'

/** A TDLib chat's kind, from its type (a supergroup's is_channel tells a channel). */
export function chatKind (chat: Obj): ChatKind {
  const type = chat.type as Obj
  if (type['@type'] === 'chatTypeBasicGroup') return 'group'
  if (type['@type'] === 'chatTypeSupergroup') return type.is_channel === true ? 'channel' : 'supergroup'
  return 'private'
}

function adminRights (rights: Obj, kind: ChatKind): Omit<ChatMemberAdministrator, 'status' | 'user' | 'can_be_edited'> {
  const r = (name: string): boolean => rights[name] === true
  const channel = kind === 'channel'
  const group = kind === 'group' || kind === 'supergroup'
  return {
    can_manage_chat: r('can_manage_chat'),
    can_change_info: r('can_change_info'),
    ...(channel ? { can_post_messages: r('can_post_messages'), can_edit_messages: r('can_edit_messages') } : {}),
    can_delete_messages: r('can_delete_messages'),
    can_invite_users: r('can_invite_users'),
    can_restrict_members: r('can_restrict_members'),
    ...(group ? { can_pin_messages: r('can_pin_messages') } : {}),
    ...(kind === 'supergroup' ? { can_manage_topics: r('can_manage_topics') } : {}),
    can_promote_members: r('can_promote_members'),
    can_manage_video_chats: r('can_manage_video_chats'),
    can_post_stories: r('can_post_stories'),
    can_edit_stories: r('can_edit_stories'),
    can_delete_stories: r('can_delete_stories'),
    ...(channel ? { can_manage_direct_messages: r('can_manage_direct_messages') } : {}),
    ...(group ? { can_manage_tags: r('can_manage_tags') } : {}),
    // A right TDLib 1.8.65 does not have; the Bot API's current types require it.
    can_send_welcome_messages: false,
    is_anonymous: r('is_anonymous')
  }
}

/** A TDLib chatMember (of a user) as a Bot API ChatMember. */
export async function toChatMember (member: Obj, kind: ChatKind, known: Known): Promise<ChatMember> {
  const sender = member.member_id as Obj
  const user = toUser(await known.user(Number(sender.user_id)) as Obj)
  const status = member.status as Obj
  const tag = typeof member.tag === 'string' && member.tag !== '' ? member.tag : undefined
  switch (status['@type']) {
    case 'chatMemberStatusCreator':
      return { status: 'creator', user, is_anonymous: status.is_anonymous === true, ...(tag === undefined ? {} : { custom_title: tag }) }
    case 'chatMemberStatusAdministrator':
      return {
        status: 'administrator', user, can_be_edited: status.can_be_edited === true,
        ...adminRights(status.rights as Obj, kind),
        ...(tag === undefined ? {} : { custom_title: tag })
      }
    case 'chatMemberStatusBanned':
      return { status: 'kicked', user, until_date: Number(status.banned_until_date ?? 0) }
    case 'chatMemberStatusLeft':
      return { status: 'left', user }
    case 'chatMemberStatusRestricted': {
      const p = (status.permissions ?? {}) as Obj
      const can = (name: string): boolean => p[name] === true
      return {
        status: 'restricted', user, is_member: status.is_member === true, until_date: Number(status.restricted_until_date ?? 0),
        can_send_messages: can('can_send_basic_messages'), can_send_audios: can('can_send_audios'), can_send_documents: can('can_send_documents'),
        can_send_photos: can('can_send_photos'), can_send_videos: can('can_send_videos'), can_send_video_notes: can('can_send_video_notes'),
        can_send_voice_notes: can('can_send_voice_notes'), can_send_polls: can('can_send_polls'), can_send_other_messages: can('can_send_other_messages'),
        can_add_web_page_previews: can('can_add_link_previews'), can_react_to_messages: can('can_react_to_messages'), can_change_info: can('can_change_info'),
        can_invite_users: can('can_invite_users'), can_edit_tag: can('can_edit_tag'), can_pin_messages: can('can_pin_messages'), can_manage_topics: can('can_create_topics'),
        ...(tag === undefined ? {} : { tag })
      }
    }
    default: {
      const until = Number(status.member_until_date ?? 0)
      return { status: 'member', user, ...(tag === undefined ? {} : { tag }), ...(until > 0 ? { until_date: until } : {}) }
    }
  }
}

/** A TDLib chatInviteLink as a Bot API ChatInviteLink (zero limits and dates left out, as telegram-bot-api does). */
export async function toInviteLink (link: Obj, known: Known): Promise<ChatInviteLink> {
  const out: ChatInviteLink = {
    invite_link: String(link.invite_link),
    creator: toUser(await known.user(Number(link.creator_user_id)) as Obj),
    creates_join_request: link.creates_join_request === true,
    is_primary: link.is_primary === true,
    is_revoked: link.is_revoked === true
  }
  if (typeof link.name === 'string' && link.name !== '') out.name = link.name
  if (Number(link.expiration_date) !== 0) out.expire_date = Number(link.expiration_date)
  if (Number(link.member_limit) !== 0) out.member_limit = Number(link.member_limit)
  if (Number(link.pending_join_request_count) !== 0) out.pending_join_request_count = Number(link.pending_join_request_count)
  return out
}

/** A TDLib updateChatMember as a Bot API ChatMemberUpdated. */
export async function toChatMemberUpdated (u: Obj, known: Known): Promise<ChatMemberUpdated> {
  const tdChat = await known.chat(Number(u.chat_id)) as Obj
  const kind = chatKind(tdChat)
  const out: ChatMemberUpdated = {
    chat: await toChat(tdChat, known),
    from: toUser(await known.user(Number(u.actor_user_id)) as Obj),
    date: Number(u.date),
    old_chat_member: await toChatMember(u.old_chat_member as Obj, kind, known),
    new_chat_member: await toChatMember(u.new_chat_member as Obj, kind, known)
  }
  if (u.invite_link !== undefined && u.invite_link !== null) out.invite_link = await toInviteLink(u.invite_link as Obj, known)
  if (u.via_join_request === true) out.via_join_request = true
  if (u.via_chat_folder_invite_link === true) out.via_chat_folder_invite_link = true
  return out
}

const INLINE_CHAT_TYPES: Record<string, InlineQuery['chat_type']> = {
  chatTypePrivate: 'private', chatTypeBasicGroup: 'group'
}

/** A TDLib updateNewInlineQuery as a Bot API InlineQuery (chat_type "sender" for the sender's own Saved Messages, none for secret chats). */
export async function toInlineQuery (u: Obj, known: Known): Promise<InlineQuery> {
  const from = toUser(await known.user(Number(u.sender_user_id)) as Obj)
  const query: InlineQuery = { id: String(u.id), from, query: String(u.query ?? ''), offset: String(u.offset ?? '') }
  const type = u.chat_type as Obj | undefined | null
  if (type !== undefined && type !== null) {
    if (type['@type'] === 'chatTypePrivate' && Number(type.user_id) === from.id) query.chat_type = 'sender'
    else if (type['@type'] === 'chatTypeSupergroup') query.chat_type = type.is_channel === true ? 'channel' : 'supergroup'
    else {
      const kind = INLINE_CHAT_TYPES[String(type['@type'])]
      if (kind !== undefined) query.chat_type = kind
    }
  }
  if (u.user_location !== undefined && u.user_location !== null) query.location = { latitude: Number(u.user_location.latitude), longitude: Number(u.user_location.longitude) }
  return query
}

/** A TDLib updateNewChosenInlineResult as a Bot API ChosenInlineResult. */
export async function toChosenInlineResult (u: Obj, known: Known): Promise<ChosenInlineResult> {
  const out: ChosenInlineResult = {
    result_id: String(u.result_id),
    from: toUser(await known.user(Number(u.sender_user_id)) as Obj),
    query: String(u.query ?? '')
  }
  if (u.user_location !== undefined && u.user_location !== null) out.location = { latitude: Number(u.user_location.latitude), longitude: Number(u.user_location.longitude) }
  if (typeof u.inline_message_id === 'string' && u.inline_message_id !== '') out.inline_message_id = u.inline_message_id
  return out
}

/** TDLib's botCommands as Bot API BotCommands. */
export function toBotCommands (commands: TdObject): BotCommand[] {
  return ((commands.commands ?? []) as Obj[]).map(c => ({ command: String(c.command), description: String(c.description) }))
}

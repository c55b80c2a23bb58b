/**
 * Builds TDLib objects (user, chat, message, basicGroup, supergroup, ...) as
 * one particular user sees them: chat ids, is_outgoing, contact flags and
 * member status all depend on who is looking.
 */
import type { Td, Tl } from './td.js'
import { SERVICE_USER_ID } from './seed.js'
import type { Account, Conversation, Group, StoredMessage } from './model.js'
import type { World } from './world.js'

/** "First Last", as TDLib titles a private chat. */
export function fullName (a: Account): string {
  return a.lastName === '' ? a.firstName : `${a.firstName} ${a.lastName}`
}

/** A formattedText object. */
export function formattedText (text: string, entities: Array<Td<Tl.textEntity>> = []): Td<Tl.formattedText> {
  return { '@type': 'formattedText', text, entities }
}

function usernames (username: string | undefined): { usernames?: Td<Tl.usernames> } {
  if (username === undefined) return {}
  return {
    usernames: {
      '@type': 'usernames',
      active_usernames: [username],
      disabled_usernames: [],
      editable_username: username,
      collectible_usernames: [],
    },
  }
}

function botType (a: Account): Td<Tl.userTypeBot> {
  return {
    '@type': 'userTypeBot',
    can_be_edited: false,
    can_join_groups: true,
    can_read_all_group_messages: true,
    has_main_web_app: false,
    has_topics: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    is_inline: a.isInline,
    inline_query_placeholder: a.inlinePlaceholder,
    supports_guest_queries: false,
    is_guard: false,
    need_location: false,
    can_connect_to_business: false,
    can_be_added_to_attachment_menu: false,
    active_user_count: 0,
  }
}

function userStatus (world: World, a: Account, viewerId: number): Td<Tl.UserStatus> {
  if (a.isBot) return { '@type': 'userStatusEmpty' }
  if (a.id === viewerId) return { '@type': 'userStatusOnline', expires: world.now() + 300 }
  return { '@type': 'userStatusRecently', by_my_privacy_settings: false }
}

/** A user as `viewerId` sees it: the phone number only for itself and its contacts. */
export function userObject (world: World, a: Account, viewerId: number): Td<Tl.user> {
  const viewer = world.accounts.get(viewerId)
  const isSelf = a.id === viewerId
  const isContact = !isSelf && viewer?.contacts.has(a.id) === true
  return {
    '@type': 'user',
    id: a.id,
    first_name: a.firstName,
    last_name: a.lastName,
    ...usernames(a.username),
    phone_number: isSelf || isContact ? a.phone : '',
    status: userStatus(world, a, viewerId),
    accent_color_id: a.id % 7,
    background_custom_emoji_id: '0',
    profile_accent_color_id: -1,
    profile_background_custom_emoji_id: '0',
    is_contact: isContact,
    is_mutual_contact: isContact && a.contacts.has(viewerId),
    is_close_friend: false,
    is_premium: false,
    is_support: a.id === SERVICE_USER_ID,
    restricts_new_chats: false,
    paid_message_star_count: 0,
    have_access: true,
    type: a.isBot ? botType(a) : { '@type': 'userTypeRegular' },
    language_code: '',
    added_to_attachment_menu: false,
  }
}

/** A user's chatMemberStatus in a group (Left when not a member). */
export function memberStatus (g: Group, userId: number): Td<Tl.ChatMemberStatus> {
  const member = g.members.get(userId)
  const ban = g.banned.get(userId)
  if (ban !== undefined) return { '@type': 'chatMemberStatusBanned', banned_until_date: ban.untilDate }
  if (member === undefined) return { '@type': 'chatMemberStatusLeft' }
  if (member.status === 'creator') return { '@type': 'chatMemberStatusCreator', is_anonymous: false, is_member: true }
  if (member.status === 'administrator') {
    return { '@type': 'chatMemberStatusAdministrator', can_be_edited: false, rights: member.rights ?? defaultAdminRights() }
  }
  if (member.status === 'restricted' && member.restriction !== undefined) {
    return { '@type': 'chatMemberStatusRestricted', is_member: true, restricted_until_date: member.restriction.untilDate, permissions: member.restriction.permissions }
  }
  return { '@type': 'chatMemberStatusMember', member_until_date: 0 }
}

/** A user as a chatMember of a group (Left when neither a member nor banned). */
export function chatMemberObject (g: Group, userId: number): Td<Tl.chatMember> {
  const member = g.members.get(userId)
  const ban = g.banned.get(userId)
  return {
    '@type': 'chatMember',
    member_id: { '@type': 'messageSenderUser', user_id: userId },
    tag: '',
    inviter_user_id: member?.inviterId ?? ban?.byId ?? 0,
    joined_chat_date: member?.joinedDate ?? ban?.date ?? 0,
    status: memberStatus(g, userId),
  }
}

/** The rights of administrators the seed made (and of those promoted before rights were kept). */
export function defaultAdminRights (): Td<Tl.chatAdministratorRights> {
  return {
    '@type': 'chatAdministratorRights',
    can_manage_chat: true,
    can_change_info: true,
    can_post_messages: true,
    can_edit_messages: true,
    can_delete_messages: true,
    can_invite_users: true,
    can_restrict_members: true,
    can_pin_messages: true,
    can_manage_topics: false,
    can_promote_members: false,
    can_manage_video_chats: true,
    can_post_stories: false,
    can_edit_stories: false,
    can_delete_stories: false,
    can_manage_direct_messages: false,
    can_manage_tags: false,
    is_anonymous: false,
  }
}

/** A basicGroup as `viewerId` sees it (its own status). */
export function basicGroupObject (g: Group, viewerId: number): Td<Tl.basicGroup> {
  return {
    '@type': 'basicGroup',
    id: g.id,
    member_count: g.members.size,
    status: memberStatus(g, viewerId),
    is_active: true,
    upgraded_to_supergroup_id: 0,
  }
}

/** A supergroup as `viewerId` sees it (its own status). */
export function supergroupObject (g: Group, viewerId: number): Td<Tl.supergroup> {
  return {
    '@type': 'supergroup',
    id: g.id,
    ...usernames(g.username),
    date: g.date,
    status: memberStatus(g, viewerId),
    member_count: g.members.size,
    boost_level: 0,
    has_automatic_translation: false,
    has_linked_chat: false,
    has_location: false,
    sign_messages: false,
    show_message_sender: false,
    join_to_send_messages: false,
    join_by_request: false,
    is_slow_mode_enabled: false,
    is_channel: g.isChannel,
    is_broadcast_group: false,
    is_forum: false,
    is_direct_messages_group: false,
    is_administered_direct_messages_group: false,
    has_direct_messages_group: false,
    has_forum_tabs: false,
    paid_message_star_count: 0,
  }
}

function permissions (all: boolean): Td<Tl.chatPermissions> {
  return {
    '@type': 'chatPermissions',
    can_send_basic_messages: all,
    can_send_audios: all,
    can_send_documents: all,
    can_send_photos: all,
    can_send_videos: all,
    can_send_video_notes: all,
    can_send_voice_notes: all,
    can_send_polls: all,
    can_send_other_messages: all,
    can_add_link_previews: all,
    can_react_to_messages: all,
    can_edit_tag: false,
    can_change_info: all,
    can_invite_users: all,
    can_pin_messages: all,
    can_create_topics: false,
  }
}

function notificationSettings (): Td<Tl.chatNotificationSettings> {
  return {
    '@type': 'chatNotificationSettings',
    use_default_mute_for: true,
    mute_for: 0,
    use_default_sound: true,
    sound_id: '0',
    use_default_show_preview: true,
    show_preview: true,
    use_default_mute_stories: true,
    mute_stories: false,
    use_default_story_sound: true,
    story_sound_id: '0',
    use_default_show_story_poster: true,
    show_story_poster: true,
    use_default_disable_pinned_message_notifications: true,
    disable_pinned_message_notifications: false,
    use_default_disable_mention_notifications: true,
    disable_mention_notifications: false,
  }
}

/** The chat's place in the main list; empty until the chat has a message. */
export function chatPositions (conv: Conversation): Array<Td<Tl.chatPosition>> {
  if (conv.order === 0) return []
  return [{ '@type': 'chatPosition', list: { '@type': 'chatListMain' }, order: String(conv.order), is_pinned: false }]
}

/**
 * A chat as `viewerId` sees it. `withLastMessage` is false for updateNewChat,
 * which TDLib sends without one (updateChatLastMessage follows).
 */
export function chatObject (world: World, conv: Conversation, viewerId: number, withLastMessage: boolean): Td<Tl.chat> {
  const chatId = conv.chatIdFor(viewerId)
  let type: Td<Tl.ChatType>
  let title: string
  let allowed = true
  const g = conv.group
  if (g === undefined) {
    const peer = world.accounts.get(chatId)
    type = { '@type': 'chatTypePrivate', user_id: chatId }
    title = peer === undefined ? '' : fullName(peer)
  } else if (g.kind === 'basic') {
    type = { '@type': 'chatTypeBasicGroup', basic_group_id: g.id }
    title = g.title
  } else {
    type = { '@type': 'chatTypeSupergroup', supergroup_id: g.id, is_channel: g.isChannel }
    title = g.title
    allowed = !g.isChannel
  }
  const last = withLastMessage ? conv.lastVisible(viewerId) : undefined
  const positions = chatPositions(conv)
  return {
    '@type': 'chat',
    id: chatId,
    type,
    title,
    accent_color_id: Math.abs(chatId) % 7,
    background_custom_emoji_id: '0',
    profile_accent_color_id: -1,
    profile_background_custom_emoji_id: '0',
    permissions: permissions(allowed),
    ...(last === undefined ? {} : { last_message: messageObject(world, last, viewerId) }),
    positions,
    chat_lists: positions.map(p => p.list),
    has_protected_content: false,
    is_translatable: false,
    is_marked_as_unread: false,
    view_as_topics: false,
    has_scheduled_messages: false,
    can_be_deleted_only_for_self: g === undefined || g.kind === 'basic',
    can_be_deleted_for_all_users: g === undefined || g.creatorId === viewerId,
    can_be_reported: g !== undefined,
    default_disable_notification: false,
    unread_count: 0,
    last_read_inbox_message_id: 0,
    last_read_outbox_message_id: 0,
    unread_mention_count: 0,
    unread_reaction_count: 0,
    unread_poll_vote_count: 0,
    notification_settings: notificationSettings(),
    available_reactions: { '@type': 'chatAvailableReactionsAll', max_reaction_count: 11 },
    message_auto_delete_time: 0,
    video_chat: { '@type': 'videoChat', group_call_id: 0, has_participants: false },
    reply_markup_message_id: 0,
    client_data: '',
  }
}

export interface PendingView {
  /** The temporary id of a message still being sent. */
  id: number
  sendingId: number
}

/**
 * A message as `viewerId` sees it; `pending` renders the sender's yet-unsent copy.
 * Hot path (every delivered message): one flat literal, optional fields set
 * afterwards, no object spread (V8 builds spread literals slowly). `content`
 * and `reply_markup` are the stored objects themselves, not copies: callers
 * must treat them as read-only.
 */
export function messageObject (world: World, m: StoredMessage, viewerId: number, pending?: PendingView): Td<Tl.message> {
  const chatId = m.conv.chatIdFor(viewerId)
  const g = m.conv.group
  const message: Td<Tl.message> = {
    '@type': 'message',
    id: pending?.id ?? m.id,
    sender_id: m.asChannel && g !== undefined
      ? { '@type': 'messageSenderChat', chat_id: g.chatId }
      : { '@type': 'messageSenderUser', user_id: m.senderId },
    chat_id: chatId,
    is_outgoing: m.senderId === viewerId && m.senderId !== 0,
    is_pinned: false,
    is_from_offline: false,
    can_be_saved: true,
    has_timestamped_media: false,
    is_channel_post: g?.isChannel === true,
    is_paid_star_suggested_post: false,
    is_paid_ton_suggested_post: false,
    contains_unread_mention: false,
    contains_unread_poll_votes: false,
    date: m.date,
    edit_date: m.editDate,
    unread_reactions: [],
    self_destruct_in: 0,
    auto_delete_in: 0,
    via_bot_user_id: m.viaBotId,
    sender_business_bot_user_id: 0,
    sender_boost_count: 0,
    sender_tag: '',
    paid_message_star_count: 0,
    author_signature: '',
    media_album_id: '0',
    effect_id: '0',
    summary_language_code: '',
    content: m.content,
  }
  if (pending !== undefined) message.sending_state = { '@type': 'messageSendingStatePending', sending_id: pending.sendingId }
  if (m.forward !== undefined) {
    message.forward_info = {
      '@type': 'messageForwardInfo',
      origin: { '@type': 'messageOriginUser', sender_user_id: m.forward.senderId },
      date: m.forward.date,
      public_service_announcement_type: '',
    }
  }
  if (m.replyToId !== 0) {
    message.reply_to = {
      '@type': 'messageReplyToMessage',
      chat_id: chatId,
      message_id: m.replyToId,
      checklist_task_id: 0,
      poll_option_id: '',
      origin_send_date: 0,
    }
  }
  if (m.replyMarkup !== undefined) message.reply_markup = m.replyMarkup
  return message
}

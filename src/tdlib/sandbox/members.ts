/**
 * Who is in a group, and leaving it: getChatMember, getBasicGroupFullInfo,
 * getSupergroupFullInfo, getSupergroupMembers, banChatMember,
 * setChatMemberStatus (banned, left; promotion, restriction and back to
 * member in member-status.ts), leaveChat. Removals give the
 * remaining members messageChatDeleteMember (not in channels), the removed
 * user its new status, and the bots concerned updateChatMember.
 */
import { fail, int, type Td, type TdIn, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import { supergroupChatId, basicGroupChatId, type Group } from './model.js'
import { basicGroupObject, chatMemberObject, supergroupObject } from './objects.js'
import { groupOf, isAdmin, refreshGroup, serviceMessage } from './groups.js'
import { knownChat } from './lookups.js'
import { announceMemberChange, memberBefore } from './member-updates.js'
import { checkCanRestrict, demote, promote, restrict } from './member-status.js'

/** Members listed at most per getSupergroupMembers, as TDLib's limit. */
const MAX_MEMBERS_PAGE = 200

function memberUserId (sender: TdIn<Tl.MessageSender$Input> | null | undefined): number {
  if (sender?.['@type'] !== 'messageSenderUser') return fail(400, 'Only users can be members in the sandbox (messageSenderUser)')
  return int(sender.user_id)
}

function existingUser (ctx: ReadyCtx, userId: number): number {
  if (ctx.world.accounts.get(userId) === undefined) fail(400, 'User not found')
  return userId
}

function knownGroup (ctx: ReadyCtx, kind: Group['kind'], id: number): Group {
  return groupOf(ctx, kind === 'basic' ? basicGroupChatId(id) : supergroupChatId(id))
}

/**
 * Takes `userId` out of `g` (and bans them from a supergroup when `banUntil`
 * is given): the others see messageChatDeleteMember, the user its new status.
 */
function removeMember (ctx: ReadyCtx, g: Group, userId: number, banUntil?: number): void {
  const { world, me } = ctx
  const before = memberBefore(g, userId)
  const wasMember = g.members.delete(userId)
  if (banUntil !== undefined && g.kind === 'super') g.banned.set(userId, { byId: me.id, date: world.now(), untilDate: banUntil })
  if (!wasMember && banUntil === undefined) return
  refreshGroup(world, g)
  for (const device of world.accounts.get(userId)?.devices ?? []) {
    if (!device.knownChats.has(g.chatId)) continue
    if (g.kind === 'basic') device.emit({ '@type': 'updateBasicGroup', basic_group: basicGroupObject(g, userId) })
    else device.emit({ '@type': 'updateSupergroup', supergroup: supergroupObject(g, userId) })
  }
  if (wasMember && !g.isChannel) serviceMessage(world, g, me.id, { '@type': 'messageChatDeleteMember', user_id: userId })
  announceMemberChange(world, g, userId, me.id, before)
}

/** The chatMember objects of these users, each user (and who invited them) told to the session first, as TDLib does. */
function membersOf (ctx: ReadyCtx, g: Group, userIds: readonly number[]): Array<Td<Tl.chatMember>> {
  return userIds.map(id => {
    const member = chatMemberObject(g, id)
    ctx.device.ensureUser(ctx.world, id)
    if (member.inviter_user_id !== 0) ctx.device.ensureUser(ctx.world, member.inviter_user_id)
    return member
  })
}

function membersPage (ctx: ReadyCtx, g: Group, userIds: number[], offset: number, limit: number): Td<Tl.chatMembers> {
  const from = Math.max(0, offset)
  const count = Math.min(Math.max(1, limit), MAX_MEMBERS_PAGE)
  return { '@type': 'chatMembers', total_count: userIds.length, members: membersOf(ctx, g, userIds.slice(from, from + count)) }
}

export const memberHandlers: ReadyHandlers = {
  getChatMember: (ctx, req) => {
    const g = groupOf(ctx, int(req.chat_id))
    return membersOf(ctx, g, [existingUser(ctx, memberUserId(req.member_id))])[0]!
  },

  getBasicGroupFullInfo: (ctx, req) => {
    const g = knownGroup(ctx, 'basic', int(req.basic_group_id))
    return {
      '@type': 'basicGroupFullInfo',
      description: g.description,
      creator_user_id: g.creatorId,
      members: membersOf(ctx, g, [...g.members.keys()]),
      can_hide_members: false,
      can_toggle_aggressive_anti_spam: false,
      bot_commands: [],
    }
  },

  getSupergroupFullInfo: (ctx, req) => {
    const g = knownGroup(ctx, 'super', int(req.supergroup_id))
    const admins = [...g.members.values()].filter(m => isAdmin(g, m.userId)).length
    const restricted = [...g.members.values()].filter(m => m.status === 'restricted').length
    return {
      '@type': 'supergroupFullInfo',
      description: g.description,
      member_count: g.members.size,
      administrator_count: admins,
      restricted_count: restricted,
      banned_count: g.banned.size,
      linked_chat_id: 0,
      direct_messages_chat_id: 0,
      slow_mode_delay: 0,
      slow_mode_delay_expires_in: 0,
      can_enable_paid_messages: false,
      can_enable_paid_reaction: false,
      can_get_members: !g.isChannel || isAdmin(g, ctx.me.id),
      has_hidden_members: false,
      can_hide_members: false,
      can_set_sticker_set: false,
      can_set_location: false,
      can_get_statistics: false,
      can_get_revenue_statistics: false,
      can_get_star_revenue_statistics: false,
      can_send_gift: false,
      can_toggle_aggressive_anti_spam: false,
      is_all_history_available: true,
      can_have_sponsored_messages: false,
      has_aggressive_anti_spam_enabled: false,
      has_paid_media_allowed: false,
      has_pinned_stories: false,
      gift_count: 0,
      my_boost_count: 0,
      unrestrict_boost_count: 0,
      outgoing_paid_message_star_count: 0,
      sticker_set_id: '0',
      custom_emoji_sticker_set_id: '0',
      guard_bot_user_id: 0,
      bot_commands: [],
      upgraded_from_basic_group_id: 0,
      upgraded_from_max_message_id: 0,
    }
  },

  getSupergroupMembers: (ctx, req) => {
    const g = knownGroup(ctx, 'super', int(req.supergroup_id))
    if (g.isChannel && !isAdmin(g, ctx.me.id)) fail(400, 'CHAT_ADMIN_REQUIRED')
    const filter = req.filter?.['@type'] ?? 'supergroupMembersFilterRecent'
    let ids: number[]
    if (filter === 'supergroupMembersFilterRecent') ids = [...g.members.keys()]
    else if (filter === 'supergroupMembersFilterAdministrators') ids = [...g.members.values()].filter(m => isAdmin(g, m.userId)).map(m => m.userId)
    else if (filter === 'supergroupMembersFilterBanned') ids = [...g.banned.keys()]
    else if (filter === 'supergroupMembersFilterRestricted') ids = [...g.members.values()].filter(m => m.status === 'restricted').map(m => m.userId)
    else return fail(400, `Supergroup members filter ${filter} is not supported by the sandbox`)
    return membersPage(ctx, g, ids, int(req.offset), int(req.limit))
  },

  banChatMember: (ctx, req) => {
    const g = groupOf(ctx, int(req.chat_id))
    const userId = existingUser(ctx, memberUserId(req.member_id))
    checkCanRestrict(ctx, g, userId)
    const until = int(req.banned_until_date)
    removeMember(ctx, g, userId, until < 0 ? 0 : until)
    return { '@type': 'ok' }
  },

  setChatMemberStatus: (ctx, req) => {
    const g = groupOf(ctx, int(req.chat_id))
    const userId = existingUser(ctx, memberUserId(req.member_id))
    const status = req.status
    if (status?.['@type'] === 'chatMemberStatusBanned') {
      checkCanRestrict(ctx, g, userId)
      removeMember(ctx, g, userId, Math.max(0, int(status.banned_until_date)))
    } else if (status?.['@type'] === 'chatMemberStatusLeft') {
      checkCanRestrict(ctx, g, userId)
      // Left lifts a ban, and takes a member out, as TDLib's setChatMemberStatus does.
      const before = memberBefore(g, userId)
      if (g.banned.delete(userId) && !g.members.has(userId)) {
        refreshGroup(ctx.world, g)
        announceMemberChange(ctx.world, g, userId, ctx.me.id, before)
      } else removeMember(ctx, g, userId)
    } else if (status?.['@type'] === 'chatMemberStatusAdministrator') {
      promote(ctx, g, userId, status)
    } else if (status?.['@type'] === 'chatMemberStatusMember') {
      demote(ctx, g, userId)
    } else if (status?.['@type'] === 'chatMemberStatusRestricted') {
      restrict(ctx, g, userId, status)
    } else {
      fail(400, `Chat member status ${String(status?.['@type'])} is not supported by the sandbox's setChatMemberStatus`)
    }
    return { '@type': 'ok' }
  },

  leaveChat: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const g = conv.group
    if (g === undefined) return fail(400, 'Chat must be a basic group or a supergroup')
    if (!g.members.has(ctx.me.id)) fail(400, 'USER_NOT_PARTICIPANT')
    if (g.creatorId === ctx.me.id) fail(400, 'The creator can\'t leave the chat in the sandbox')
    removeMember(ctx, g, ctx.me.id)
    return { '@type': 'ok' }
  },
}

/**
 * Basic groups and supergroups (channels included): creation, adding
 * members, invite links and joining, with the service messages and the
 * updateBasicGroup / updateSupergroup members see.
 */
import { randomBytes } from 'node:crypto'
import { fail, int, str, type Td, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import type { Group } from './model.js'
import { basicGroupObject, chatObject, defaultAdminRights, supergroupObject } from './objects.js'
import { announceMessage, storeMessage } from './delivery.js'
import { knownChat, knownUser } from './lookups.js'
import { announceMemberChange, memberBefore } from './member-updates.js'
import type { World } from './world.js'

export interface InviteLink {
  link: string
  chatId: number
  creatorId: number
  date: number
  name: string
  expirationDate: number
  memberLimit: number
  memberCount: number
}

/** The group behind a chat id this session knows; 400 for a private chat. */
export function groupOf (ctx: ReadyCtx, chatId: number): Group {
  const g = knownChat(ctx, chatId).group
  if (g === undefined) return fail(400, 'Chat must be a basic group or a supergroup')
  return g
}

export function isAdmin (g: Group, userId: number): boolean {
  const status = g.members.get(userId)?.status
  return status === 'creator' || status === 'administrator'
}

/** What `userId` may do as an administrator of `g` (every right for the creator); undefined for others. */
export function adminRightsOf (g: Group, userId: number): Td<Tl.chatAdministratorRights> | undefined {
  const m = g.members.get(userId)
  if (m?.status === 'creator') return { ...defaultAdminRights(), can_promote_members: true, can_manage_topics: true, can_post_stories: true, can_edit_stories: true, can_delete_stories: true, can_manage_direct_messages: true, can_manage_tags: true }
  if (m?.status === 'administrator') return m.rights ?? defaultAdminRights()
  return undefined
}

/** updateBasicGroup / updateSupergroup to every member device that knows the chat. */
export function refreshGroup (world: World, g: Group): void {
  for (const userId of g.members.keys()) {
    for (const device of world.accounts.get(userId)?.devices ?? []) {
      if (!device.knownChats.has(g.chatId)) continue
      if (g.kind === 'basic') device.emit({ '@type': 'updateBasicGroup', basic_group: basicGroupObject(g, userId) })
      else device.emit({ '@type': 'updateSupergroup', supergroup: supergroupObject(g, userId) })
    }
  }
}

/** A service message from `senderId`, shown to every member (the actor's devices too). */
export function serviceMessage (world: World, g: Group, senderId: number, content: Td<Tl.MessageContent>): void {
  announceMessage(world, storeMessage(world, g.conv, { senderId, content, asChannel: g.isChannel }))
}

function addMembers (ctx: ReadyCtx, g: Group, userIds: readonly number[]): Td<Tl.failedToAddMembers> {
  if (g.kind === 'super' ? !isAdmin(g, ctx.me.id) : !g.members.has(ctx.me.id)) fail(400, 'CHAT_ADMIN_REQUIRED')
  const users = [...new Set(userIds)].map(id => knownUser(ctx, id))
  if (users.length === 0) fail(400, 'Too few users specified')
  if (users.every(u => g.members.has(u.id))) fail(400, 'USER_ALREADY_PARTICIPANT')
  const added = users.filter(u => !g.members.has(u.id)).map(u => u.id)
  const now = ctx.world.now()
  const before = added.map(id => memberBefore(g, id))
  for (const id of added) {
    // An administrator adding a banned user lifts the ban, as in Telegram.
    g.banned.delete(id)
    ctx.world.addMember(g, id, 'member', ctx.me.id, now)
  }
  refreshGroup(ctx.world, g)
  added.forEach((id, i) => { announceMemberChange(ctx.world, g, id, ctx.me.id, before[i]!) })
  serviceMessage(ctx.world, g, ctx.me.id, { '@type': 'messageChatAddMembers', member_user_ids: added })
  return { '@type': 'failedToAddMembers', failed_to_add_members: [] }
}

/** The hash of an invite link in any of its forms (t.me/+H, t.me/joinchat/H, tg://join?invite=H). */
function inviteHash (link: string): string | undefined {
  const m = /^(?:https?:\/\/)?(?:t\.me|telegram\.me)\/(?:\+|joinchat\/)([A-Za-z0-9_-]+)\/?$/.exec(link.trim()) ??
    /^tg:(?:\/\/)?join\?invite=([A-Za-z0-9_-]+)$/.exec(link.trim())
  return m?.[1]
}

function inviteOf (world: World, link: string): [InviteLink, Group] {
  const hash = inviteHash(link)
  const invite = hash === undefined ? undefined : world.inviteLinks.get(hash)
  const g = invite === undefined ? undefined : world.groups.get(invite.chatId)
  if (invite === undefined || g === undefined) return fail(400, 'INVITE_HASH_INVALID')
  if (invite.expirationDate !== 0 && invite.expirationDate <= world.now()) fail(400, 'INVITE_HASH_EXPIRED')
  return [invite, g]
}

export const groupHandlers: ReadyHandlers = {
  createNewBasicGroupChat: (ctx, req) => {
    const { world, me } = ctx
    if (me.isBot) fail(400, 'BOT_METHOD_INVALID')
    const title = str(req.title).trim()
    if (title === '') fail(400, 'CHAT_TITLE_EMPTY')
    const users = [...new Set(req.user_ids ?? [])].map(id => knownUser(ctx, int(id))).filter(u => u.id !== me.id)
    const now = world.now()
    const g = world.addGroup('basic', undefined, title, me.id, false, now)
    for (const u of users) world.addMember(g, u.id, 'member', me.id, now)
    serviceMessage(world, g, me.id, { '@type': 'messageBasicGroupChatCreate', title, member_user_ids: [...g.members.keys()] })
    return { '@type': 'createdBasicGroupChat', chat_id: g.chatId, failed_to_add_members: { '@type': 'failedToAddMembers', failed_to_add_members: [] } }
  },

  createNewSupergroupChat: (ctx, req) => {
    const { world, me } = ctx
    if (me.isBot) fail(400, 'BOT_METHOD_INVALID')
    const title = str(req.title).trim()
    if (title === '') fail(400, 'CHAT_TITLE_EMPTY')
    const g = world.addGroup('super', undefined, title, me.id, req.is_channel === true, world.now())
    g.description = str(req.description)
    serviceMessage(world, g, me.id, { '@type': 'messageSupergroupChatCreate', title })
    return chatObject(world, g.conv, me.id, true)
  },

  addChatMember: (ctx, req) => addMembers(ctx, groupOf(ctx, int(req.chat_id)), [int(req.user_id)]),

  addChatMembers: (ctx, req) => addMembers(ctx, groupOf(ctx, int(req.chat_id)), (req.user_ids ?? []).map(int)),

  joinChat: (ctx, req) => {
    const g = groupOf(ctx, int(req.chat_id))
    if (g.members.has(ctx.me.id)) fail(400, 'USER_ALREADY_PARTICIPANT')
    if (g.kind !== 'super' || g.username === undefined) fail(400, 'CHANNEL_PRIVATE')
    if (g.banned.has(ctx.me.id)) fail(400, 'USER_BANNED_IN_CHANNEL')
    const before = memberBefore(g, ctx.me.id)
    ctx.world.addMember(g, ctx.me.id, 'member', ctx.me.id, ctx.world.now())
    refreshGroup(ctx.world, g)
    announceMemberChange(ctx.world, g, ctx.me.id, ctx.me.id, before)
    serviceMessage(ctx.world, g, ctx.me.id, { '@type': 'messageChatAddMembers', member_user_ids: [ctx.me.id] })
    return { '@type': 'chatJoinResultSuccess', chat_id: g.chatId }
  },

  createChatInviteLink: (ctx, req) => {
    const g = groupOf(ctx, int(req.chat_id))
    if (!isAdmin(g, ctx.me.id)) fail(400, 'CHAT_ADMIN_REQUIRED')
    if (req.creates_join_request === true) fail(400, 'Join requests are not supported by the sandbox')
    const hash = randomBytes(12).toString('base64url')
    const invite: InviteLink = {
      link: `https://t.me/+${hash}`,
      chatId: g.chatId,
      creatorId: ctx.me.id,
      date: ctx.world.now(),
      name: str(req.name),
      expirationDate: Math.max(0, int(req.expiration_date)),
      memberLimit: Math.max(0, int(req.member_limit)),
      memberCount: 0,
    }
    ctx.world.inviteLinks.set(hash, invite)
    return inviteLinkObject(invite)
  },

  checkChatInviteLink: (ctx, req) => {
    const [invite, g] = inviteOf(ctx.world, str(req.invite_link))
    return {
      '@type': 'chatInviteLinkInfo',
      chat_id: g.members.has(ctx.me.id) ? g.chatId : 0,
      accessible_for: 0,
      type: g.kind === 'basic'
        ? { '@type': 'inviteLinkChatTypeBasicGroup' }
        : g.isChannel ? { '@type': 'inviteLinkChatTypeChannel' } : { '@type': 'inviteLinkChatTypeSupergroup' },
      title: g.title,
      accent_color_id: Math.abs(invite.chatId) % 7,
      description: g.description,
      member_count: g.members.size,
      member_user_ids: [],
      creates_join_request: false,
      is_public: g.username !== undefined,
    }
  },

  joinChatByInviteLink: (ctx, req) => {
    const [invite, g] = inviteOf(ctx.world, str(req.invite_link))
    if (g.members.has(ctx.me.id)) fail(400, 'USER_ALREADY_PARTICIPANT')
    if (invite.memberLimit !== 0 && invite.memberCount >= invite.memberLimit) fail(400, 'USERS_TOO_MUCH')
    if (g.banned.has(ctx.me.id)) fail(400, 'USER_BANNED_IN_CHANNEL')
    invite.memberCount += 1
    const before = memberBefore(g, ctx.me.id)
    ctx.world.addMember(g, ctx.me.id, 'member', invite.creatorId, ctx.world.now())
    refreshGroup(ctx.world, g)
    announceMemberChange(ctx.world, g, ctx.me.id, ctx.me.id, before)
    serviceMessage(ctx.world, g, ctx.me.id, { '@type': 'messageChatJoinByLink' })
    return { '@type': 'chatJoinResultSuccess', chat_id: g.chatId }
  },
}

function inviteLinkObject (invite: InviteLink): Td<Tl.chatInviteLink> {
  return {
    '@type': 'chatInviteLink',
    invite_link: invite.link,
    name: invite.name,
    creator_user_id: invite.creatorId,
    date: invite.date,
    edit_date: 0,
    expiration_date: invite.expirationDate,
    member_limit: invite.memberLimit,
    member_count: invite.memberCount,
    expired_member_count: 0,
    pending_join_request_count: 0,
    creates_join_request: false,
    is_primary: false,
    is_revoked: false,
  }
}

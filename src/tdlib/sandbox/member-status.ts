/**
 * setChatMemberStatus's changes that keep a user in the group: promotion
 * (chatMemberStatusAdministrator, with its rights), restriction
 * (chatMemberStatusRestricted, with its permissions) and back to a plain
 * member. As in Telegram: the creator, or an administrator with
 * can_promote_members, promotes, and grants only rights it has itself; an
 * administrator edits only the administrators it promoted; restricting
 * needs can_restrict_members and never reaches an administrator. As TDLib
 * does, rights with none set make a member (no rights object: the sandbox's
 * default set) (a demotion), any right implies
 * can_manage_chat, and all permissions granted make a member.
 */
import { fail, int, type Td, type TdIn, type Tl } from './td.js'
import type { ReadyCtx } from './dispatch.js'
import type { Group, Member } from './model.js'
import { adminRightsOf, isAdmin, refreshGroup } from './groups.js'
import { announceMemberChange, memberBefore } from './member-updates.js'
import { defaultAdminRights } from './objects.js'

type Rights = Td<Tl.chatAdministratorRights>
type Permissions = Td<Tl.chatPermissions>

const RIGHTS = [
  'can_manage_chat', 'can_change_info', 'can_post_messages', 'can_edit_messages', 'can_delete_messages', 'can_invite_users',
  'can_restrict_members', 'can_pin_messages', 'can_manage_topics', 'can_promote_members', 'can_manage_video_chats', 'can_post_stories',
  'can_edit_stories', 'can_delete_stories', 'can_manage_direct_messages', 'can_manage_tags'
] as const satisfies ReadonlyArray<keyof Rights>

const PERMISSIONS = [
  'can_send_basic_messages', 'can_send_audios', 'can_send_documents', 'can_send_photos', 'can_send_videos', 'can_send_video_notes',
  'can_send_voice_notes', 'can_send_polls', 'can_send_other_messages', 'can_add_link_previews', 'can_react_to_messages', 'can_edit_tag',
  'can_change_info', 'can_invite_users', 'can_pin_messages', 'can_create_topics'
] as const satisfies ReadonlyArray<keyof Permissions>

/** An administrator acting on someone who is not the creator nor (unless the actor is the creator) an administrator. */
export function checkCanRestrict (ctx: ReadyCtx, g: Group, userId: number): void {
  if (!isAdmin(g, ctx.me.id)) fail(400, 'CHAT_ADMIN_REQUIRED')
  if (userId === g.creatorId || (g.members.get(userId)?.status === 'administrator' && ctx.me.id !== g.creatorId)) fail(400, 'USER_ADMIN_INVALID')
}

function normalRights (given: TdIn<Tl.chatAdministratorRights$Input> | null | undefined): Rights {
  const out = { '@type': 'chatAdministratorRights', is_anonymous: given?.is_anonymous === true } as Rights
  for (const name of RIGHTS) out[name] = given?.[name] === true
  if (RIGHTS.some(name => out[name])) out.can_manage_chat = true
  return out
}

function normalPermissions (given: TdIn<Tl.chatPermissions$Input> | null | undefined): Permissions {
  const out = { '@type': 'chatPermissions' } as Permissions
  for (const name of PERMISSIONS) out[name] = given?.[name] === true
  return out
}

function participant (g: Group, userId: number): Member {
  const m = g.members.get(userId)
  if (m === undefined) return fail(400, 'USER_NOT_PARTICIPANT')
  if (m.status === 'creator') fail(400, 'USER_CREATOR')
  return m
}

/** Applies `change` to `m` and tells the group and the bots concerned, if anything changed. */
function changeMember (ctx: ReadyCtx, g: Group, m: Member, change: (m: Member) => void): void {
  const before = memberBefore(g, m.userId)
  change(m)
  if (JSON.stringify(memberBefore(g, m.userId)) === JSON.stringify(before)) return
  refreshGroup(ctx.world, g)
  announceMemberChange(ctx.world, g, m.userId, ctx.me.id, before)
}

/** The actor's rights in a supergroup it administers; CHAT_ADMIN_REQUIRED otherwise (checked before the target, as Telegram does). */
function promoterRights (ctx: ReadyCtx, g: Group): Rights {
  const mine = adminRightsOf(g, ctx.me.id)
  if (g.kind !== 'super' || mine === undefined) return fail(400, 'CHAT_ADMIN_REQUIRED')
  return mine
}

/** May the actor promote, demote or edit `m`? Throws as Telegram answers when not. */
function checkCanPromote (ctx: ReadyCtx, g: Group, m: Member, rights: Rights | undefined): void {
  const mine = promoterRights(ctx, g)
  if (ctx.me.id === g.creatorId) return
  if (m.userId === ctx.me.id) fail(400, 'Can\'t promote self')
  if (mine.can_promote_members !== true) fail(400, 'Not enough rights')
  if (m.status === 'administrator' && m.promotedBy !== ctx.me.id) fail(400, 'Not enough rights to edit the administrator')
  const beyond = rights === undefined ? [] : RIGHTS.filter(name => rights[name] && mine[name] !== true)
  if (beyond.length > 0) fail(400, 'RIGHT_FORBIDDEN')
}

/** setChatMemberStatus to chatMemberStatusAdministrator. */
export function promote (ctx: ReadyCtx, g: Group, userId: number, status: TdIn<Tl.chatMemberStatusAdministrator$Input>): void {
  promoterRights(ctx, g)
  const m = participant(g, userId)
  // No rights object at all: the sandbox's default set (as its tests and seed have always promoted); rights with none set: a demotion.
  const rights = status.rights === undefined || status.rights === null ? defaultAdminRights() : normalRights(status.rights)
  if (!RIGHTS.some(name => rights[name]) && !rights.is_anonymous) return demote(ctx, g, userId)
  checkCanPromote(ctx, g, m, rights)
  changeMember(ctx, g, m, m => {
    m.status = 'administrator'
    m.rights = rights
    m.promotedBy = ctx.me.id
    delete m.restriction
  })
}

/** setChatMemberStatus to chatMemberStatusMember: demotes an administrator, lifts a restriction. */
export function demote (ctx: ReadyCtx, g: Group, userId: number): void {
  if (g.members.get(userId)?.status !== 'restricted') promoterRights(ctx, g)
  const m = participant(g, userId)
  if (m.status === 'restricted') return unrestrict(ctx, g, m)
  checkCanPromote(ctx, g, m, undefined)
  changeMember(ctx, g, m, m => {
    m.status = 'member'
    delete m.rights
    delete m.promotedBy
  })
}

function checkRestrictRight (ctx: ReadyCtx, g: Group, userId: number): void {
  if (g.kind !== 'super') fail(400, 'Can\'t restrict members of a basic group')
  checkCanRestrict(ctx, g, userId)
  if (g.members.get(userId)?.status === 'administrator') fail(400, 'USER_ADMIN_INVALID')
  if (adminRightsOf(g, ctx.me.id)?.can_restrict_members !== true) fail(400, 'Not enough rights to restrict/unrestrict chat member')
}

function unrestrict (ctx: ReadyCtx, g: Group, m: Member): void {
  checkRestrictRight(ctx, g, m.userId)
  changeMember(ctx, g, m, m => {
    m.status = 'member'
    delete m.restriction
  })
}

/** setChatMemberStatus to chatMemberStatusRestricted (of a member: the sandbox does not restrict users outside the group). */
export function restrict (ctx: ReadyCtx, g: Group, userId: number, status: TdIn<Tl.chatMemberStatusRestricted$Input>): void {
  checkRestrictRight(ctx, g, userId)
  const m = participant(g, userId)
  const permissions = normalPermissions(status.permissions)
  if (PERMISSIONS.every(name => permissions[name])) return unrestrict(ctx, g, m)
  const until = Math.max(0, int(status.restricted_until_date))
  changeMember(ctx, g, m, m => {
    m.status = 'restricted'
    m.restriction = { permissions, untilDate: until }
  })
}

/**
 * promoteChatMember and restrictChatMember, as telegram-bot-api sends them:
 * setChatMemberStatus with chatMemberStatusAdministrator (the rights given,
 * none set is a demotion) or chatMemberStatusRestricted (the permissions,
 * until_date). getChat first, through the pipeline, so the consumer's chat
 * scope applies and a basic group or private chat is refused as Telegram does.
 */
import type { TdObject } from '../tdlib/backend.js'
import { badRequest, BotApiError } from './errors.js'
import type { MethodContext, MethodDef } from './methods.js'
import { chatIdParam } from './message-methods.js'

/** Bot API administrator rights that TDLib's chatAdministratorRights has under the same name. */
const RIGHTS = [
  'is_anonymous', 'can_manage_chat', 'can_delete_messages', 'can_manage_video_chats', 'can_restrict_members', 'can_promote_members',
  'can_change_info', 'can_invite_users', 'can_manage_tags', 'can_post_stories', 'can_edit_stories', 'can_delete_stories',
  'can_post_messages', 'can_edit_messages', 'can_pin_messages', 'can_manage_topics', 'can_manage_direct_messages'
] as const

const MEDIA = ['can_send_audios', 'can_send_documents', 'can_send_photos', 'can_send_videos', 'can_send_video_notes', 'can_send_voice_notes'] as const
/** Bot API ChatPermissions fields and TDLib's chatPermissions names (the rest are the same). */
const PERMISSION_NAMES: Readonly<Record<string, string>> = {
  can_send_messages: 'can_send_basic_messages', can_add_web_page_previews: 'can_add_link_previews', can_manage_topics: 'can_create_topics'
}
const PERMISSIONS = [
  'can_send_messages', ...MEDIA, 'can_send_polls', 'can_send_other_messages', 'can_add_web_page_previews', 'can_react_to_messages',
  'can_change_info', 'can_invite_users', 'can_edit_tag', 'can_pin_messages', 'can_manage_topics'
] as const

/**
 * Telegram's words for these refusals where they are not TDLib's sentence in
 * lower case (errors.ts botApiWords does that for all).
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  USER_ADMIN_INVALID: 'user is an administrator of the chat',
  'not enough rights to edit the administrator': 'not enough rights'
}

async function withBotApiWords (request: Promise<TdObject>): Promise<TdObject> {
  try {
    return await request
  } catch (e) {
    const said = e instanceof BotApiError && e.code === 400 ? DESCRIPTIONS[e.description.replace(/^Bad Request: /, '')] : undefined
    throw said === undefined ? e : badRequest(said)
  }
}

/** The supergroup (or channel, when `channels`) of `chat_id`, read through the pipeline; 400 `refusal` for other chats. */
async function supergroupChat (ctx: MethodContext, refusal: string, channels: boolean): Promise<TdObject> {
  const chat = await ctx.call({ '@type': 'getChat', chat_id: chatIdParam(ctx.params) })
  const type = chat.type as Record<string, unknown>
  if (type['@type'] !== 'chatTypeSupergroup' || (type.is_channel === true && !channels)) throw badRequest(refusal)
  return chat
}

const member = (userId: number): TdObject => ({ '@type': 'messageSenderUser', user_id: userId })

const promoteChatMember: MethodDef = {
  td: ['getChat', 'setChatMemberStatus'],
  run: async ctx => {
    const p = ctx.params
    const userId = p.requiredInt('user_id')
    // A right TDLib 1.8.65 lacks: refused rather than silently not given.
    if (p.bool('can_send_welcome_messages')) throw badRequest('can_send_welcome_messages is not supported by the tdbroker gateway (TDLib 1.8.65 has no such right)')
    const chat = await supergroupChat(ctx, 'method is available for supergroup and channel chats only', true)
    const rights: TdObject = { '@type': 'chatAdministratorRights' }
    for (const name of RIGHTS) rights[name] = p.bool(name)
    // No right set: TDLib makes it chatMemberStatusMember, which demotes, as promoteChatMember with all false does.
    const status = { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights }
    await withBotApiWords(ctx.call({ '@type': 'setChatMemberStatus', chat_id: chat.id, member_id: member(userId), status }))
    return true
  }
}

/** A Bot API ChatPermissions object as TDLib's chatPermissions, with the legacy implications unless permissions are independent. */
export function toTdPermissions (given: unknown, independent: boolean): TdObject {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw badRequest('parameter "permissions" must be a JSON object (ChatPermissions)')
  const g = given as Record<string, unknown>
  for (const [name, value] of Object.entries(g)) {
    if (value !== undefined && typeof value !== 'boolean') throw badRequest(`permissions.${name} must be a boolean`)
  }
  const can: Record<string, boolean> = {}
  for (const name of PERMISSIONS) can[name] = g[name] === true
  // Defaults the Bot API documents for fields left out.
  if (g.can_react_to_messages === undefined) can.can_react_to_messages = can.can_send_messages!
  if (g.can_edit_tag === undefined) can.can_edit_tag = can.can_pin_messages!
  if (g.can_manage_topics === undefined) can.can_manage_topics = can.can_pin_messages!
  if (!independent) {
    if (can.can_send_other_messages === true || can.can_add_web_page_previews === true) {
      can.can_send_messages = true
      for (const name of MEDIA) can[name] = true
    }
    if (can.can_send_polls === true) can.can_send_messages = true
  }
  const out: TdObject = { '@type': 'chatPermissions' }
  for (const [name, value] of Object.entries(can)) out[PERMISSION_NAMES[name] ?? name] = value
  return out
}

const restrictChatMember: MethodDef = {
  td: ['getChat', 'setChatMemberStatus'],
  run: async ctx => {
    const p = ctx.params
    const userId = p.requiredInt('user_id')
    if (!p.has('permissions')) throw badRequest('parameter "permissions" is required')
    const permissions = toTdPermissions(p.json('permissions'), p.bool('use_independent_chat_permissions'))
    const chat = await supergroupChat(ctx, 'method is available only for supergroups', false)
    const status = { '@type': 'chatMemberStatusRestricted', is_member: true, restricted_until_date: p.int('until_date') ?? 0, permissions }
    await withBotApiWords(ctx.call({ '@type': 'setChatMemberStatus', chat_id: chat.id, member_id: member(userId), status }))
    return true
  }
}

export const ADMIN_METHODS: Readonly<Record<string, MethodDef>> = { promoteChatMember, restrictChatMember }

/**
 * Methods on chats and their members: sendChatAction, getChatMember,
 * getChatMemberCount, getChatAdministrators, banChatMember,
 * unbanChatMember, createChatInviteLink, leaveChat. Each asks TDLib what
 * telegram-bot-api asks (member counts and administrator lists from the
 * group's full info or getSupergroupMembers), and first getChat through the
 * pipeline, so a consumer's chat scope covers requests that name a group
 * by its basic group or supergroup id rather than its chat id.
 */
import type { ChatInviteLink, ChatMember } from '@grammyjs/types'
import type { TdObject } from '../tdlib/backend.js'
import { chatKind, toChatMember, toInviteLink } from './convert-members.js'
import { badRequest } from './errors.js'
import type { MethodContext, MethodDef } from './methods.js'
import { chatIdParam } from './message-methods.js'

/** Bot API chat actions and TDLib's. */
const CHAT_ACTIONS: Readonly<Record<string, string>> = {
  typing: 'chatActionTyping',
  upload_photo: 'chatActionUploadingPhoto',
  record_video: 'chatActionRecordingVideo',
  upload_video: 'chatActionUploadingVideo',
  record_voice: 'chatActionRecordingVoiceNote',
  upload_voice: 'chatActionUploadingVoiceNote',
  upload_document: 'chatActionUploadingDocument',
  choose_sticker: 'chatActionChoosingSticker',
  find_location: 'chatActionChoosingLocation',
  record_video_note: 'chatActionRecordingVideoNote',
  upload_video_note: 'chatActionUploadingVideoNote'
}

/** The chat of `chat_id`, read through the pipeline (so the consumer's chat scope applies). */
async function scopedChat (ctx: MethodContext): Promise<TdObject> {
  return await ctx.call({ '@type': 'getChat', chat_id: chatIdParam(ctx.params) })
}

const member = (userId: number): TdObject => ({ '@type': 'messageSenderUser', user_id: userId })

function noThreads (ctx: MethodContext): void {
  for (const name of ['message_thread_id', 'business_connection_id']) {
    if (ctx.params.has(name)) throw badRequest(`${name} is not supported by the tdbroker gateway yet`)
  }
}

const sendChatAction: MethodDef = {
  td: ['sendChatAction'],
  run: async ctx => {
    noThreads(ctx)
    const action = CHAT_ACTIONS[ctx.params.requiredString('action')]
    if (action === undefined) throw badRequest(`wrong parameter action in request; use one of ${Object.keys(CHAT_ACTIONS).join(', ')}`)
    await ctx.call({ '@type': 'sendChatAction', chat_id: chatIdParam(ctx.params), action: { '@type': action } })
    return true
  }
}

const getChatMember: MethodDef = {
  td: ['getChat', 'getChatMember'],
  run: async (ctx): Promise<ChatMember> => {
    const chat = await scopedChat(ctx)
    const found = await ctx.call({ '@type': 'getChatMember', chat_id: chat.id, member_id: member(ctx.params.requiredInt('user_id')) })
    return await toChatMember(found, chatKind(chat), ctx.bot.known)
  }
}

const getChatMemberCount: MethodDef = {
  td: ['getChat', 'getBasicGroup', 'getSupergroupFullInfo'],
  run: async (ctx): Promise<number> => {
    const chat = await scopedChat(ctx)
    const type = chat.type as Record<string, any>
    switch (type['@type']) {
      case 'chatTypeBasicGroup':
        return Number((await ctx.call({ '@type': 'getBasicGroup', basic_group_id: type.basic_group_id })).member_count)
      case 'chatTypeSupergroup':
        return Number((await ctx.call({ '@type': 'getSupergroupFullInfo', supergroup_id: type.supergroup_id })).member_count)
      default:
        // The bot and the user, or the bot alone in its Saved Messages.
        return Number(type.user_id) === ctx.consumer.bot_id ? 1 : 2
    }
  }
}

const getChatAdministrators: MethodDef = {
  td: ['getChat', 'getBasicGroupFullInfo', 'getSupergroupMembers'],
  run: async (ctx): Promise<ChatMember[]> => {
    const chat = await scopedChat(ctx)
    const type = chat.type as Record<string, any>
    let members: Array<Record<string, any>>
    if (type['@type'] === 'chatTypeBasicGroup') {
      const info = await ctx.call({ '@type': 'getBasicGroupFullInfo', basic_group_id: type.basic_group_id })
      members = (info.members as Array<Record<string, any>>).filter(m => m.status['@type'] === 'chatMemberStatusCreator' || m.status['@type'] === 'chatMemberStatusAdministrator')
    } else if (type['@type'] === 'chatTypeSupergroup') {
      const found = await ctx.call({ '@type': 'getSupergroupMembers', supergroup_id: type.supergroup_id, filter: { '@type': 'supergroupMembersFilterAdministrators' }, offset: 0, limit: 100 })
      members = found.members as Array<Record<string, any>>
    } else {
      throw badRequest('there are no administrators in the private chat')
    }
    const kind = chatKind(chat)
    // Only users, as telegram-bot-api lists them (chats can be members of supergroups only as banned or left).
    const users = members.filter(m => m.member_id?.['@type'] === 'messageSenderUser')
    return await Promise.all(users.map(async m => await toChatMember(m, kind, ctx.bot.known)))
  }
}

const banChatMember: MethodDef = {
  td: ['banChatMember'],
  run: async ctx => {
    const p = ctx.params
    await ctx.call({
      '@type': 'banChatMember', chat_id: chatIdParam(p), member_id: member(p.requiredInt('user_id')),
      banned_until_date: p.int('until_date') ?? 0, revoke_messages: p.bool('revoke_messages')
    })
    return true
  }
}

const unbanChatMember: MethodDef = {
  td: ['getChat', 'getChatMember', 'setChatMemberStatus'],
  run: async ctx => {
    const p = ctx.params
    const chat = await scopedChat(ctx)
    if ((chat.type as Record<string, any>)['@type'] !== 'chatTypeSupergroup') throw badRequest('method is available for supergroup and channel chats only')
    const userId = p.requiredInt('user_id')
    if (p.bool('only_if_banned')) {
      const now = await ctx.call({ '@type': 'getChatMember', chat_id: chat.id, member_id: member(userId) })
      // Not banned: nothing to do, and a member stays in the chat.
      if ((now.status as Record<string, any>)['@type'] !== 'chatMemberStatusBanned') return true
    }
    await ctx.call({ '@type': 'setChatMemberStatus', chat_id: chat.id, member_id: member(userId), status: { '@type': 'chatMemberStatusLeft' } })
    return true
  }
}

const createChatInviteLink: MethodDef = {
  td: ['createChatInviteLink'],
  run: async (ctx): Promise<ChatInviteLink> => {
    const p = ctx.params
    const name = p.string('name') ?? ''
    if ([...name].length > 32) throw badRequest('invite link name must be at most 32 characters')
    const limit = p.int('member_limit') ?? 0
    if (limit < 0 || limit > 99999) throw badRequest('member_limit must be from 1 to 99999')
    if (p.bool('creates_join_request') && limit !== 0) throw badRequest("member_limit can't be specified for links requiring administrator approval")
    if (p.has('subscription_period') || p.has('subscription_price')) throw badRequest('subscription invite links are not supported by the tdbroker gateway yet')
    const link = await ctx.call({
      '@type': 'createChatInviteLink', chat_id: chatIdParam(p), name, expiration_date: p.int('expire_date') ?? 0,
      member_limit: limit, creates_join_request: p.bool('creates_join_request')
    })
    return await toInviteLink(link, ctx.bot.known)
  }
}

const leaveChat: MethodDef = {
  td: ['leaveChat'],
  run: async ctx => {
    await ctx.call({ '@type': 'leaveChat', chat_id: chatIdParam(ctx.params) })
    return true
  }
}

export const CHAT_METHODS: Readonly<Record<string, MethodDef>> = {
  sendChatAction, getChatMember, getChatMemberCount, getChatAdministrators, banChatMember, unbanChatMember, createChatInviteLink, leaveChat
}

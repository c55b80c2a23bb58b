/**
 * Users, chats and contacts. A session only knows what it has been shown
 * (updateUser / updateNewChat): getUser and getChat of anything else fail
 * with 400 as in TDLib, and searchPublicChat, searchUserByPhoneNumber,
 * importContacts, getContacts and getChats are what make things known.
 */
import { ok, fail, given, int, str, type Td, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import { chatIdKind, type Account, type Conversation } from './model.js'
import { basicGroupObject, chatObject, supergroupObject, userObject } from './objects.js'
import { normalizePhone } from './world.js'

/** The conversation behind a chat id this session knows, or 400 "Chat not found". */
export function knownChat ({ world, device, me }: ReadyCtx, chatId: number): Conversation {
  let known = device.knownChats.has(chatId)
  // TDLib opens the private chat of any user it knows on demand.
  if (!known && chatIdKind(chatId) === 'private' && device.knownUsers.has(chatId)) known = device.ensureChat(world, chatId)
  const conv = known ? world.conversationFor(me.id, chatId) : undefined
  if (conv === undefined) return fail(400, 'Chat not found')
  return conv
}

/** A user this session knows, or 400 "User not found". */
export function knownUser ({ world, device }: ReadyCtx, userId: number): Account {
  const account = device.knownUsers.has(userId) ? world.accounts.get(userId) : undefined
  if (account === undefined) return fail(400, 'User not found')
  return account
}

function chatResult (ctx: ReadyCtx, chatId: number): Td<Tl.chat> {
  const conv = knownChat(ctx, chatId)
  return chatObject(ctx.world, conv, ctx.me.id, true)
}

/** Tells all of `me`'s devices that a user changed as seen by `me` (e.g. is_contact). */
function refreshUser (ctx: ReadyCtx, userId: number): void {
  const account = ctx.world.accounts.get(userId)
  if (account === undefined) return
  for (const device of ctx.me.devices) {
    if (!device.knownUsers.has(userId)) device.ensureUser(ctx.world, userId)
    else device.emit({ '@type': 'updateUser', user: userObject(ctx.world, account, ctx.me.id) })
  }
}

export const lookupHandlers: ReadyHandlers = {
  getMe: ({ world, me }) => userObject(world, me, me.id),

  getUser: (ctx, req) => userObject(ctx.world, knownUser(ctx, int(req.user_id)), ctx.me.id),

  getChat: (ctx, req) => chatResult(ctx, int(req.chat_id)),

  createPrivateChat: (ctx, req) => {
    const user = knownUser(ctx, int(req.user_id))
    return chatResult(ctx, user.id)
  },

  searchPublicChat: (ctx, req) => {
    const username = str(req.username).trim().replace(/^@/, '')
    if (!/^[A-Za-z][A-Za-z0-9_]{4,31}$/.test(username)) fail(400, 'USERNAME_INVALID')
    const found = ctx.world.byPublicName(username)
    if (found === undefined) fail(400, 'USERNAME_NOT_OCCUPIED')
    const chatId = 'isBot' in found ? found.id : found.chatId
    ctx.device.ensureChat(ctx.world, chatId)
    return chatResult(ctx, chatId)
  },

  searchUserByPhoneNumber: (ctx, req) => {
    const phone = normalizePhone(str(req.phone_number))
    if (phone === undefined) fail(400, 'PHONE_NUMBER_INVALID')
    const account = ctx.world.accountByPhone(phone)
    if (account === undefined || (req.only_local === true && !ctx.device.knownUsers.has(account.id))) {
      fail(404, 'User not found')
    }
    ctx.device.ensureUser(ctx.world, account.id)
    return userObject(ctx.world, account, ctx.me.id)
  },

  importContacts: (ctx, req) => {
    const userIds: number[] = []
    for (const contact of req.contacts ?? []) {
      const account = ctx.world.accountByPhone(str(contact.phone_number))
      if (account === undefined || account.isBot || account.id === ctx.me.id) {
        userIds.push(0)
        continue
      }
      if (!ctx.me.contacts.has(account.id)) {
        ctx.me.contacts.add(account.id)
        refreshUser(ctx, account.id)
      }
      userIds.push(account.id)
    }
    return { '@type': 'importedContacts', user_ids: userIds, importer_count: userIds.map(() => 0) }
  },

  getContacts: (ctx) => {
    const ids = [...ctx.me.contacts].filter(id => ctx.world.accounts.has(id)).sort((a, b) => a - b)
    for (const id of ids) ctx.device.ensureUser(ctx.world, id)
    return { '@type': 'users', total_count: ids.length, user_ids: ids }
  },

  getChats: (ctx, req) => {
    const list = given(req.chat_list)
    if (list !== undefined && list['@type'] !== 'chatListMain') return { '@type': 'chats', total_count: 0, chat_ids: [] }
    const limit = Math.max(1, int(req.limit))
    const convs = ctx.world.conversationsOf(ctx.me.id)
    const ids = convs.slice(0, limit).map(conv => conv.chatIdFor(ctx.me.id))
    for (const id of ids) ctx.device.ensureChat(ctx.world, id)
    return { '@type': 'chats', total_count: convs.length, chat_ids: ids }
  },

  loadChats: (ctx, req) => {
    const list = given(req.chat_list)
    if (list !== undefined && list['@type'] !== 'chatListMain') return fail(404, 'Not Found')
    const limit = Math.max(1, int(req.limit))
    const unknown = ctx.world.conversationsOf(ctx.me.id)
      .map(conv => conv.chatIdFor(ctx.me.id))
      .filter(id => !ctx.device.knownChats.has(id))
    if (unknown.length === 0) return fail(404, 'Not Found')
    for (const id of unknown.slice(0, limit)) ctx.device.ensureChat(ctx.world, id)
    return ok()
  },

  getBasicGroup: (ctx, req) => {
    const g = ctx.world.basicGroup(int(req.basic_group_id))
    if (g === undefined || !ctx.device.knownChats.has(g.chatId)) return fail(400, 'Basic group not found')
    return basicGroupObject(g, ctx.me.id)
  },

  getSupergroup: (ctx, req) => {
    const g = ctx.world.supergroup(int(req.supergroup_id))
    if (g === undefined || !ctx.device.knownChats.has(g.chatId)) return fail(400, 'Supergroup not found')
    return supergroupObject(g, ctx.me.id)
  },

  openChat: (ctx, req) => { knownChat(ctx, int(req.chat_id)); return ok() },
  closeChat: (ctx, req) => { knownChat(ctx, int(req.chat_id)); return ok() },
  viewMessages: (ctx, req) => { knownChat(ctx, int(req.chat_id)); return ok() },
}

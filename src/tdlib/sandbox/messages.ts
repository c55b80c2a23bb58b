/**
 * Messaging: send, forward, edit, delete and read back, with the updates
 * TDLib sends. A sent message is first shown to the sending session with a
 * temporary id and messageSendingStatePending; "the server" then assigns the
 * real id (updateMessageSendSucceeded there, updateNewMessage everywhere else).
 */
import { ok, fail, given, int, type Req, type Td, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import type { Conversation, StoredMessage } from './model.js'
import { chatPositions, messageObject } from './objects.js'
import { announceMessage, buildMessage, forEachDevice, lastMessageUpdate, storeMessage, type NewMessage } from './delivery.js'
import { messageContent, replyMarkup, setReplyMarkup } from './content.js'
import { fileMessageContent } from './files.js'
import { knownChat } from './lookups.js'

/** 400/403 unless `me` may post in `conv`, as TDLib checks before sending. */
export function checkCanSend ({ world, me }: ReadyCtx, conv: Conversation): void {
  const g = conv.group
  if (g === undefined) {
    const peer = world.accounts.get(conv.chatIdFor(me.id))
    if (peer === undefined) return fail(400, 'Chat not found')
    if (me.isBot && peer.isBot && peer.id !== me.id) fail(400, 'USER_IS_BOT')
    if (me.isBot && peer.id !== me.id && !conv.senders.has(peer.id)) fail(403, 'Bot can\'t initiate conversation with a user')
    return
  }
  const member = g.members.get(me.id)
  const admin = member?.status === 'creator' || member?.status === 'administrator'
  // A restricted member's can_send_basic_messages decides for every kind of message (the sandbox keeps no per-kind check).
  const muted = member?.status === 'restricted' && member.restriction?.permissions.can_send_basic_messages !== true
  if (member === undefined || (!admin && (g.isChannel || muted))) fail(400, 'Have no write access to the chat')
}

/**
 * Sends as a client does: the pending copy (temporary id) goes to the sending
 * session now and is returned; the server part runs after the answer.
 */
export function sendFromClient (ctx: ReadyCtx, conv: Conversation, n: NewMessage, sendingId: number, after?: (m: StoredMessage) => void): Td<Tl.message> {
  const { world, device, me } = ctx
  const chatId = conv.chatIdFor(me.id)
  const tempId = conv.nextTemporaryId()
  const draft = buildMessage(world, conv, n, tempId)
  const pending = messageObject(world, draft, me.id, { id: tempId, sendingId })
  device.emit({ '@type': 'updateNewMessage', message: pending })
  device.emit({ '@type': 'updateChatLastMessage', chat_id: chatId, last_message: messageObject(world, draft, me.id, { id: tempId, sendingId }), positions: chatPositions(conv) })
  world.serverSide(() => {
    const m = storeMessage(world, conv, n)
    after?.(m)
    device.emit({ '@type': 'updateMessageSendSucceeded', message: messageObject(world, m, me.id), old_message_id: tempId })
    device.emit(lastMessageUpdate(world, conv, me.id, chatId))
    announceMessage(world, m, device)
  })
  return pending
}

function replyToId (conv: Conversation, me: number, reply: Req<'sendMessage'>['reply_to'] | null): number {
  const input = given(reply)
  if (input === undefined) return 0
  if (input['@type'] !== 'inputMessageReplyToMessage') fail(400, 'Only replies to messages of the same chat are supported by the sandbox')
  const id = int(input.message_id)
  if (id === 0) return 0
  if (conv.visible(id, me) === undefined) fail(400, 'Message to be replied not found')
  return id
}

function ownMessage (conv: Conversation, messageId: number, viewerId: number): StoredMessage {
  const m = conv.visible(messageId, viewerId)
  if (m === undefined) return fail(400, 'Message not found')
  return m
}

/** updateMessageContent and/or updateMessageEdited to every device of the chat. */
export function announceEdit (ctx: Pick<ReadyCtx, 'world'>, m: StoredMessage, contentChanged: boolean): void {
  forEachDevice(ctx.world, m.conv, (device, viewerId, chatId) => {
    if (m.hiddenFor?.has(viewerId) === true || !device.knownChats.has(chatId)) return
    if (contentChanged) device.emit({ '@type': 'updateMessageContent', chat_id: chatId, message_id: m.id, new_content: m.content })
    device.emit({
      '@type': 'updateMessageEdited',
      chat_id: chatId,
      message_id: m.id,
      edit_date: m.editDate,
      ...(m.replyMarkup === undefined ? {} : { reply_markup: m.replyMarkup }),
    })
  })
}

function deleteFor (ctx: ReadyCtx, conv: Conversation, ids: number[], everyone: boolean): void {
  const { world, me } = ctx
  const affected = everyone ? [...conv.participants()] : [me.id]
  const lastBefore = new Map(affected.map(u => [u, conv.lastVisible(u)?.id ?? 0]))
  const seenBy = new Map(affected.map(u => [u, ids.filter(id => conv.visible(id, u) !== undefined)]))
  for (const id of ids) {
    const m = conv.messages.get(id)!
    if (everyone) m.deleted = true
    else (m.hiddenFor ??= new Set()).add(me.id)
  }
  forEachDevice(world, conv, (device, viewerId, chatId) => {
    const visible = seenBy.get(viewerId)
    if (visible === undefined || visible.length === 0 || !device.knownChats.has(chatId)) return
    device.emit({ '@type': 'updateDeleteMessages', chat_id: chatId, message_ids: visible, is_permanent: true, from_cache: false })
    if ((conv.lastVisible(viewerId)?.id ?? 0) !== lastBefore.get(viewerId)) device.emit(lastMessageUpdate(world, conv, viewerId, chatId))
  })
}

export const messageHandlers: ReadyHandlers = {
  sendMessage: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    checkCanSend(ctx, conv)
    const content = fileMessageContent(ctx, req.input_message_content) ?? messageContent(req.input_message_content)
    return sendFromClient(ctx, conv, {
      senderId: ctx.me.id,
      content,
      asChannel: conv.group?.isChannel === true,
      replyToId: replyToId(conv, ctx.me.id, req.reply_to),
      // Only bots can attach a keyboard; TDLib drops a user's markup silently.
      replyMarkup: ctx.me.isBot ? replyMarkup(req.reply_markup) : undefined,
    }, int(req.options?.sending_id))
  },

  forwardMessages: (ctx, req) => {
    const to = knownChat(ctx, int(req.chat_id))
    const from = knownChat(ctx, int(req.from_chat_id))
    checkCanSend(ctx, to)
    const ids = req.message_ids ?? []
    if (ids.length === 0 || ids.length > 100) fail(400, 'Invalid number of messages to forward')
    const messages = ids.map(id => {
      const m = from.visible(int(id), ctx.me.id)
      if (m === undefined || m.content['@type'] !== 'messageText') return null
      const n: NewMessage = { senderId: ctx.me.id, content: m.content, asChannel: to.group?.isChannel === true }
      if (req.send_copy !== true) n.forward = m.forward ?? { senderId: m.senderId, date: m.date }
      return sendFromClient(ctx, to, n, int(req.options?.sending_id))
    })
    return { '@type': 'messages', total_count: messages.filter(m => m !== null).length, messages }
  },

  editMessageText: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const m = ownMessage(conv, int(req.message_id), ctx.me.id)
    if (m.senderId !== ctx.me.id || m.forward !== undefined || m.content['@type'] !== 'messageText') fail(400, 'Message can\'t be edited')
    m.content = messageContent(req.input_message_content)
    m.editDate = ctx.world.now()
    if (ctx.me.isBot) {
      setReplyMarkup(m, req.reply_markup)
    }
    announceEdit(ctx, m, true)
    return messageObject(ctx.world, m, ctx.me.id)
  },

  editMessageReplyMarkup: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const m = ownMessage(conv, int(req.message_id), ctx.me.id)
    if (!ctx.me.isBot || m.senderId !== ctx.me.id) fail(400, 'Message can\'t be edited')
    setReplyMarkup(m, req.reply_markup)
    m.editDate = ctx.world.now()
    announceEdit(ctx, m, false)
    return messageObject(ctx.world, m, ctx.me.id)
  },

  deleteMessages: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const ids = (req.message_ids ?? []).map(int).filter(id => conv.visible(id, ctx.me.id) !== undefined)
    if (ids.length === 0) return ok()
    const g = conv.group
    const everyone = g?.kind === 'super' || req.revoke === true
    if (everyone && g !== undefined) {
      const status = g.members.get(ctx.me.id)?.status
      const mayDeleteAny = status === 'creator' || status === 'administrator'
      if (!mayDeleteAny && ids.some(id => conv.messages.get(id)!.senderId !== ctx.me.id)) fail(400, 'Message can\'t be deleted')
    }
    deleteFor(ctx, conv, ids, everyone)
    return ok()
  },

  getMessage: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const m = conv.visible(int(req.message_id), ctx.me.id)
    if (m === undefined) return fail(404, 'Not Found')
    return messageObject(ctx.world, m, ctx.me.id)
  },

  getMessages: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const messages = (req.message_ids ?? []).map(id => {
      const m = conv.visible(int(id), ctx.me.id)
      return m === undefined ? null : messageObject(ctx.world, m, ctx.me.id)
    })
    return { '@type': 'messages', total_count: messages.filter(m => m !== null).length, messages }
  },

  getChatHistory: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const limit = int(req.limit)
    if (limit <= 0) fail(400, 'Parameter limit must be positive')
    const found = conv.history(ctx.me.id, int(req.from_message_id), int(req.offset), Math.min(limit, 100))
    return { '@type': 'messages', total_count: found.length, messages: found.map(m => messageObject(ctx.world, m, ctx.me.id)) }
  },
}

/**
 * How the emulated server stores a message and fans its updates out to every
 * device of every participant, each seeing it in its own terms (chat id,
 * is_outgoing) and each first told about chats and users it did not know.
 */
import type { Td, Tl } from './td.js'
import type { Conversation, StoredMessage } from './model.js'
import type { Device } from './device.js'
import { chatPositions, formattedText, messageObject } from './objects.js'
import type { World } from './world.js'

export interface NewMessage {
  senderId: number
  content: Td<Tl.MessageContent>
  asChannel?: boolean
  replyMarkup?: Td<Tl.ReplyMarkup> | undefined
  replyToId?: number
  forward?: { senderId: number, date: number }
  viaBotId?: number
}

/** A plain-text message content. */
export function textContent (text: string, entities: Array<Td<Tl.textEntity>> = []): Td<Tl.messageText> {
  return { '@type': 'messageText', text: formattedText(text, entities) }
}

/** A message of the conversation as the world stores it, not yet added (temporary ids use this too). */
export function buildMessage (world: World, conv: Conversation, n: NewMessage, id: number): StoredMessage {
  const m: StoredMessage = {
    id,
    conv,
    senderId: n.senderId,
    asChannel: n.asChannel === true,
    date: world.now(),
    editDate: 0,
    content: n.content,
    replyToId: n.replyToId ?? 0,
    viaBotId: n.viaBotId ?? 0,
    deleted: false,
  }
  if (n.replyMarkup !== undefined) m.replyMarkup = n.replyMarkup
  if (n.forward !== undefined) Object.assign(m, { forward: n.forward })
  return m
}

/** Gives the message its server id and puts it in the conversation. */
export function storeMessage (world: World, conv: Conversation, n: NewMessage, id = conv.nextMessageId()): StoredMessage {
  const m = buildMessage(world, conv, n, id)
  conv.add(m, world.nextOrder())
  return m
}

/** Calls `fn` for every logged-in device of every participant of `conv`. */
export function forEachDevice (world: World, conv: Conversation, fn: (device: Device, viewerId: number, chatId: number) => void): void {
  for (const userId of conv.participants()) {
    const account = world.accounts.get(userId)
    if (account === undefined) continue
    const chatId = conv.chatIdFor(userId)
    for (const device of account.devices) fn(device, userId, chatId)
  }
}

/** Introduces what a message mentions (chat, sender, forward origin, via bot) to a device. */
export function introduce (world: World, device: Device, m: StoredMessage, chatId: number): void {
  device.ensureChat(world, chatId)
  if (!m.asChannel) device.ensureUser(world, m.senderId)
  if (m.forward !== undefined) device.ensureUser(world, m.forward.senderId)
  if (m.viaBotId !== 0) device.ensureUser(world, m.viaBotId)
  for (const id of mentionedUsers(m.content)) device.ensureUser(world, id)
}

function mentionedUsers (content: Td<Tl.MessageContent>): readonly number[] {
  if (content['@type'] === 'messageBasicGroupChatCreate' || content['@type'] === 'messageChatAddMembers') {
    return content.member_user_ids
  }
  if (content['@type'] === 'messageChatDeleteMember') return [content.user_id]
  return []
}

/** updateChatLastMessage for one viewer: its newest visible message and the chat's position. */
export function lastMessageUpdate (world: World, conv: Conversation, viewerId: number, chatId: number): Td<Tl.updateChatLastMessage> {
  const last = conv.lastVisible(viewerId)
  return {
    '@type': 'updateChatLastMessage',
    chat_id: chatId,
    ...(last === undefined ? {} : { last_message: messageObject(world, last, viewerId) }),
    positions: chatPositions(conv),
  }
}

/**
 * updateNewMessage + updateChatLastMessage to every device of every
 * participant, except `skip` (the sending device, which gets
 * updateMessageSendSucceeded instead).
 */
export function announceMessage (world: World, m: StoredMessage, skip?: Device): void {
  forEachDevice(world, m.conv, (device, viewerId, chatId) => {
    if (device === skip) return
    introduce(world, device, m, chatId)
    device.emit({ '@type': 'updateNewMessage', message: messageObject(world, m, viewerId) })
    device.emit(lastMessageUpdate(world, m.conv, viewerId, chatId))
  })
}

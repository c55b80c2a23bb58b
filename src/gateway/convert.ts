/**
 * TDLib objects as the Bot API shows them, the way telegram-bot-api derives
 * them: a message id is TDLib's id divided by 2^20 (TDLib keeps the server
 * id in the high bits), chat ids are TDLib's as they are (basic groups -id,
 * supergroups and channels -100…), entity offsets are UTF-16 in both. The
 * results are typed against @grammyjs/types, the Bot API's published types.
 */
import type { CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, MessageEntity, User, UserFromGetMe } from '@grammyjs/types'
import type { TdObject } from '../tdlib/backend.js'
import { addMedia } from './convert-media.js'

/** TDLib message ids carry the server's id above 20 bits. */
const MESSAGE_ID_SHIFT = 2 ** 20

export const toBotMessageId = (tdId: number): number => Math.floor(tdId / MESSAGE_ID_SHIFT)
export const toTdMessageId = (botId: number): number => botId * MESSAGE_ID_SHIFT

/** Where conversion finds the users, chats and supergroups an object names (the bot session's own knowledge). */
export interface Known {
  user(id: number): Promise<TdObject>
  chat(id: number): Promise<TdObject>
  supergroup(id: number): Promise<TdObject>
  /** A message of a chat, or undefined when TDLib no longer has it. */
  message(chatId: number, messageId: number): Promise<TdObject | undefined>
}

type Obj = Record<string, any>

function username (o: Obj): string | undefined {
  const active = (o.usernames as Obj | undefined)?.active_usernames as string[] | undefined
  return active?.[0]
}

/** A TDLib user as a Bot API User. */
export function toUser (u: Obj): User {
  const user: User = { id: Number(u.id), is_bot: u.type?.['@type'] === 'userTypeBot', first_name: String(u.first_name ?? '') }
  if (typeof u.last_name === 'string' && u.last_name !== '') user.last_name = u.last_name
  const name = username(u)
  if (name !== undefined) user.username = name
  if (typeof u.language_code === 'string' && u.language_code !== '') user.language_code = u.language_code
  if (u.is_premium === true) user.is_premium = true
  return user
}

/** The bot itself, as getMe answers. */
export function toMe (u: Obj): UserFromGetMe {
  const bot = (u.type ?? {}) as Obj
  return {
    ...toUser(u),
    is_bot: true,
    username: username(u) ?? '',
    can_join_groups: bot.can_join_groups === true,
    can_read_all_group_messages: bot.can_read_all_group_messages === true,
    supports_inline_queries: bot.is_inline === true,
    can_connect_to_business: bot.can_connect_to_business === true,
    has_main_web_app: bot.has_main_web_app === true,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false
  }
}

/** A TDLib chat as the short Bot API Chat of messages. */
export async function toChat (chat: Obj, known: Known): Promise<Chat> {
  const id = Number(chat.id)
  const type = chat.type as Obj
  switch (type['@type']) {
    case 'chatTypePrivate':
    case 'chatTypeSecret': {
      const u = await known.user(Number(type.user_id)) as Obj
      const out: Chat.PrivateChat = { id, type: 'private', first_name: String(u.first_name ?? '') }
      if (typeof u.last_name === 'string' && u.last_name !== '') out.last_name = u.last_name
      const name = username(u)
      if (name !== undefined) out.username = name
      return out
    }
    case 'chatTypeBasicGroup':
      return { id, type: 'group', title: String(chat.title) }
    default: {
      const sg = await known.supergroup(Number(type.supergroup_id)) as Obj
      const name = username(sg)
      const out: Chat.SupergroupChat | Chat.ChannelChat = type.is_channel === true
        ? { id, type: 'channel', title: String(chat.title) }
        : { id, type: 'supergroup', title: String(chat.title) }
      if (name !== undefined) out.username = name
      return out
    }
  }
}

/** TDLib text entities as Bot API entities (offsets stay UTF-16); kinds the Bot API lacks are left out. */
export async function toEntities (entities: Obj[], known: Known): Promise<MessageEntity[]> {
  const out: MessageEntity[] = []
  for (const e of entities) {
    const at = { offset: Number(e.offset), length: Number(e.length) }
    const t = e.type as Obj
    const simple = SIMPLE_ENTITIES[t['@type'] as string]
    if (simple !== undefined) out.push({ ...at, type: simple })
    else if (t['@type'] === 'textEntityTypePreCode') out.push({ ...at, type: 'pre', language: String(t.language) })
    else if (t['@type'] === 'textEntityTypeTextUrl') out.push({ ...at, type: 'text_link', url: String(t.url) })
    else if (t['@type'] === 'textEntityTypeMentionName') out.push({ ...at, type: 'text_mention', user: toUser(await known.user(Number(t.user_id)) as Obj) })
    else if (t['@type'] === 'textEntityTypeCustomEmoji') out.push({ ...at, type: 'custom_emoji', custom_emoji_id: String(t.custom_emoji_id) })
  }
  return out
}

const SIMPLE_ENTITIES: Record<string, MessageEntity.CommonMessageEntity['type'] | 'pre'> = {
  textEntityTypeMention: 'mention',
  textEntityTypeHashtag: 'hashtag',
  textEntityTypeCashtag: 'cashtag',
  textEntityTypeBotCommand: 'bot_command',
  textEntityTypeUrl: 'url',
  textEntityTypeEmailAddress: 'email',
  textEntityTypePhoneNumber: 'phone_number',
  textEntityTypeBold: 'bold',
  textEntityTypeItalic: 'italic',
  textEntityTypeUnderline: 'underline',
  textEntityTypeStrikethrough: 'strikethrough',
  textEntityTypeSpoiler: 'spoiler',
  textEntityTypeCode: 'code',
  textEntityTypePre: 'pre',
  textEntityTypeBlockQuote: 'blockquote',
  textEntityTypeExpandableBlockQuote: 'expandable_blockquote'
}

/** TDLib's inline keyboard as the Bot API's; buttons of other kinds than callback and URL are left out. */
export function toInlineKeyboard (markup: Obj | undefined): InlineKeyboardMarkup | undefined {
  if (markup?.['@type'] !== 'replyMarkupInlineKeyboard') return undefined
  const rows = (markup.rows as Obj[][]).map(row => row.flatMap((b): InlineKeyboardButton[] => {
    const t = b.type as Obj
    if (t['@type'] === 'inlineKeyboardButtonTypeCallback') return [{ text: String(b.text), callback_data: Buffer.from(String(t.data), 'base64').toString('utf8') }]
    if (t['@type'] === 'inlineKeyboardButtonTypeUrl') return [{ text: String(b.text), url: String(t.url) }]
    return []
  }))
  return { inline_keyboard: rows }
}

/**
 * A TDLib message as a Bot API Message: text messages, documents and
 * photos in full (convert-media.ts), other kinds with their common fields only. A reply in the same chat carries the
 * message it answers (without that one's own reply), as telegram-bot-api
 * does; a replied message TDLib no longer has is left out.
 */
export async function toMessage (m: Obj, known: Known, withReply = true): Promise<Message> {
  const chat = await toChat(await known.chat(Number(m.chat_id)) as Obj, known)
  const message: Message = { message_id: toBotMessageId(Number(m.id)), date: Number(m.date), chat }
  const sender = m.sender_id as Obj
  if (sender['@type'] === 'messageSenderUser') message.from = toUser(await known.user(Number(sender.user_id)) as Obj)
  // A channel post's sender is the channel itself, as in the Bot API.
  else if (sender['@type'] === 'messageSenderChat') message.sender_chat = await toChat(await known.chat(Number(sender.chat_id)) as Obj, known)
  if (Number(m.edit_date) > 0) message.edit_date = Number(m.edit_date)
  const content = m.content as Obj
  if (content['@type'] === 'messageText') {
    const text = content.text as Obj
    message.text = String(text.text)
    const entities = await toEntities(text.entities as Obj[] ?? [], known)
    if (entities.length > 0) message.entities = entities
    const preview = toLinkPreviewOptions(content.link_preview_options as Obj | undefined)
    if (preview !== undefined) message.link_preview_options = preview
  } else await addMedia(message, content, async list => await toEntities(list, known))
  const reply = m.reply_to as Obj | undefined
  if (withReply && reply?.['@type'] === 'messageReplyToMessage' && Number(reply.chat_id) === Number(m.chat_id) && Number(reply.message_id) > 0) {
    const replied = await known.message(Number(m.chat_id), Number(reply.message_id))
    if (replied !== undefined) message.reply_to_message = await toMessage(replied, known, false) as Message['reply_to_message'] & Message
  }
  const keyboard = toInlineKeyboard(m.reply_markup as Obj | undefined)
  if (keyboard !== undefined) message.reply_markup = keyboard
  return message
}

/** TDLib's linkPreviewOptions as the Bot API's, only the fields that are set (as telegram-bot-api). */
function toLinkPreviewOptions (o: Obj | undefined | null): LinkPreviewOptions | undefined {
  if (o === undefined || o === null) return undefined
  const out: LinkPreviewOptions = {}
  if (o.is_disabled === true) out.is_disabled = true
  if (typeof o.url === 'string' && o.url !== '') out.url = o.url
  if (o.force_small_media === true) out.prefer_small_media = true
  if (o.force_large_media === true) out.prefer_large_media = true
  if (o.show_above_text === true) out.show_above_text = true
  return out
}

/** A TDLib updateNewCallbackQuery as a Bot API CallbackQuery; `message` is the message its button is on, when TDLib still has it. */
export async function toCallbackQuery (u: Obj, message: Obj | undefined, known: Known): Promise<CallbackQuery> {
  const query: CallbackQuery = {
    id: String(u.id),
    from: toUser(await known.user(Number(u.sender_user_id)) as Obj),
    chat_instance: String(u.chat_instance)
  }
  if (message !== undefined) query.message = await toMessage(message, known)
  const payload = u.payload as Obj
  if (payload['@type'] === 'callbackQueryPayloadData') query.data = Buffer.from(String(payload.data), 'base64').toString('utf8')
  return query
}

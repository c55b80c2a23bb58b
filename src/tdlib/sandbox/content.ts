/**
 * Turns what a client sends (input message content, formatted text, reply
 * markup) into what TDLib stores and shows (message content, reply markup),
 * with TDLib's checks on the way. Only text content is emulated.
 */
import { fail, given, int, str, type Td, type TdIn, type Tl } from './td.js'
import { findTextEntities } from './autolink.js'

type Entity = Td<Tl.textEntity>

/** Longest text of a message, in UTF-16 code units as TDLib counts. */
export const MAX_TEXT_LENGTH = 4096

const PLAIN_ENTITY_TYPES = new Set([
  'textEntityTypeMention', 'textEntityTypeHashtag', 'textEntityTypeCashtag', 'textEntityTypeBotCommand',
  'textEntityTypeUrl', 'textEntityTypeEmailAddress', 'textEntityTypePhoneNumber', 'textEntityTypeBankCardNumber',
  'textEntityTypeBold', 'textEntityTypeItalic', 'textEntityTypeUnderline', 'textEntityTypeStrikethrough',
  'textEntityTypeSpoiler', 'textEntityTypeCode', 'textEntityTypePre', 'textEntityTypeBlockQuote',
  'textEntityTypeExpandableBlockQuote',
])

function entityType (input: TdIn<Tl.TextEntityType$Input> | undefined): Td<Tl.TextEntityType> | undefined {
  const type = input?.['@type']
  if (type === undefined) return undefined
  if (PLAIN_ENTITY_TYPES.has(type)) return { '@type': type } as Td<Tl.TextEntityType>
  switch (input?.['@type']) {
    case 'textEntityTypePreCode': return { '@type': 'textEntityTypePreCode', language: str(input.language) }
    case 'textEntityTypeTextUrl': return { '@type': 'textEntityTypeTextUrl', url: str(input.url) }
    case 'textEntityTypeMentionName': return { '@type': 'textEntityTypeMentionName', user_id: int(input.user_id) }
    case 'textEntityTypeCustomEmoji': return { '@type': 'textEntityTypeCustomEmoji', custom_emoji_id: String(int(input.custom_emoji_id)) }
    case 'textEntityTypeMediaTimestamp': return { '@type': 'textEntityTypeMediaTimestamp', media_timestamp: int(input.media_timestamp) }
    default: return undefined
  }
}

/**
 * formattedText as TDLib keeps it: entities outside the text or of unknown
 * type dropped, and the automatic ones (URLs, mentions, ...) added where
 * the client gave none.
 */
export function formattedInput (input: TdIn<Tl.formattedText$Input> | undefined): Td<Tl.formattedText> {
  const text = str(input?.text)
  const given: Entity[] = []
  for (const e of input?.entities ?? []) {
    const offset = int(e.offset)
    const length = int(e.length)
    const type = entityType(e.type)
    if (type === undefined || offset < 0 || length <= 0 || offset + length > text.length) continue
    given.push({ '@type': 'textEntity', offset, length, type })
  }
  // covered[i]: how many of the first i characters some given entity covers, so that an
  // overlap test costs O(1) however many entities the client sent.
  const depth = new Int32Array(text.length + 1)
  for (const e of given) { depth[e.offset] = (depth[e.offset] as number) + 1; depth[e.offset + e.length] = (depth[e.offset + e.length] as number) - 1 }
  const covered = new Int32Array(text.length + 1)
  for (let i = 0, open = 0; i < text.length; i++) { open += depth[i] as number; covered[i + 1] = (covered[i] as number) + (open > 0 ? 1 : 0) }
  const overlaps = (a: Entity): boolean => (covered[a.offset + a.length] as number) - (covered[a.offset] as number) > 0
  const entities = [...given, ...findTextEntities(text).filter(e => !overlaps(e))]
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length)
  return { '@type': 'formattedText', text, entities }
}

/** inputMessageText -> messageText; other content types are not emulated. */
export function messageContent (content: TdIn<Tl.InputMessageContent$Input> | null | undefined): Td<Tl.messageText> {
  const input = given(content)
  if (input === undefined) return fail(400, 'Message content must be non-empty')
  if (input['@type'] !== 'inputMessageText') {
    return fail(400, `Message content of type ${String(input['@type'])} is not supported by the sandbox`)
  }
  const text = formattedInput(input.text)
  if (text.text.trim() === '') fail(400, 'Message must be non-empty')
  if (text.text.length > MAX_TEXT_LENGTH) fail(400, 'Message is too long')
  const preview = given(input.link_preview_options)
  if (preview === undefined) return { '@type': 'messageText', text }
  return {
    '@type': 'messageText',
    text,
    link_preview_options: {
      '@type': 'linkPreviewOptions',
      is_disabled: preview.is_disabled === true,
      url: str(preview.url),
      force_small_media: preview.force_small_media === true,
      force_large_media: preview.force_large_media === true,
      show_above_text: preview.show_above_text === true,
    },
  }
}

function buttonText (text: unknown): string {
  const value = str(text)
  if (value === '') fail(400, 'BUTTON_TEXT_INVALID')
  return value
}

function inlineButton (b: TdIn<Tl.inlineKeyboardButton$Input>): Td<Tl.inlineKeyboardButton> {
  const t = b.type
  let type: Td<Tl.InlineKeyboardButtonType>
  switch (t?.['@type']) {
    case 'inlineKeyboardButtonTypeCallback': {
      const data = str(t.data)
      if (data === '' || Buffer.from(data, 'base64').length > 64) fail(400, 'BUTTON_DATA_INVALID')
      type = { '@type': 'inlineKeyboardButtonTypeCallback', data }
      break
    }
    case 'inlineKeyboardButtonTypeUrl':
      if (!/^(https?|tg):\/\/\S+$/.test(str(t.url))) fail(400, 'BUTTON_URL_INVALID')
      type = { '@type': 'inlineKeyboardButtonTypeUrl', url: str(t.url) }
      break
    case 'inlineKeyboardButtonTypeSwitchInline':
      type = { '@type': 'inlineKeyboardButtonTypeSwitchInline', query: str(t.query), target_chat: { '@type': 'targetChatCurrent' } }
      break
    case 'inlineKeyboardButtonTypeCopyText':
      type = { '@type': 'inlineKeyboardButtonTypeCopyText', text: str(t.text) }
      break
    case 'inlineKeyboardButtonTypeUser':
      type = { '@type': 'inlineKeyboardButtonTypeUser', user_id: int(t.user_id) }
      break
    default:
      return fail(400, `Inline keyboard button of type ${String(t?.['@type'])} is not supported by the sandbox`)
  }
  return { '@type': 'inlineKeyboardButton', text: buttonText(b.text), icon_custom_emoji_id: '0', style: { '@type': 'buttonStyleDefault' }, type }
}

function keyboardButton (b: TdIn<Tl.keyboardButton$Input>): Td<Tl.keyboardButton> {
  const kind = b.type?.['@type'] ?? 'keyboardButtonTypeText'
  if (kind !== 'keyboardButtonTypeText' && kind !== 'keyboardButtonTypeRequestPhoneNumber' && kind !== 'keyboardButtonTypeRequestLocation') {
    return fail(400, `Keyboard button of type ${kind} is not supported by the sandbox`)
  }
  return { '@type': 'keyboardButton', text: buttonText(b.text), icon_custom_emoji_id: '0', style: { '@type': 'buttonStyleDefault' }, type: { '@type': kind } }
}

/** Bots' reply markup as TDLib stores it; undefined for none. */
/** Replaces a stored message's reply markup with the request's, or removes it when the request has none. */
export function setReplyMarkup (m: { replyMarkup?: Td<Tl.ReplyMarkup> }, input: TdIn<Tl.ReplyMarkup$Input> | undefined): void {
  const markup = replyMarkup(input)
  if (markup === undefined) delete m.replyMarkup
  else m.replyMarkup = markup
}

export function replyMarkup (input: TdIn<Tl.ReplyMarkup$Input> | undefined): Td<Tl.ReplyMarkup> | undefined {
  switch (input?.['@type']) {
    case undefined: return undefined
    case 'replyMarkupInlineKeyboard': {
      const rows = (input.rows ?? []).map(row => row.map(inlineButton)).filter(row => row.length > 0)
      return rows.length === 0 ? undefined : { '@type': 'replyMarkupInlineKeyboard', rows }
    }
    case 'replyMarkupShowKeyboard':
      return {
        '@type': 'replyMarkupShowKeyboard',
        rows: (input.rows ?? []).map(row => row.map(keyboardButton)),
        is_persistent: input.is_persistent === true,
        resize_keyboard: input.resize_keyboard === true,
        one_time: input.one_time === true,
        is_personal: input.is_personal === true,
        input_field_placeholder: str(input.input_field_placeholder),
      }
    case 'replyMarkupRemoveKeyboard':
      return { '@type': 'replyMarkupRemoveKeyboard', is_personal: input.is_personal === true }
    case 'replyMarkupForceReply':
      return { '@type': 'replyMarkupForceReply', is_personal: input.is_personal === true, input_field_placeholder: str(input.input_field_placeholder) }
    default:
      return fail(400, 'Reply markup type is not supported by the sandbox')
  }
}

/** The callback buttons' data of an inline keyboard. */
export function callbackData (markup: Td<Tl.ReplyMarkup> | undefined): string[] {
  if (markup?.['@type'] !== 'replyMarkupInlineKeyboard') return []
  const out: string[] = []
  for (const row of markup.rows) {
    for (const b of row) if (b.type['@type'] === 'inlineKeyboardButtonTypeCallback') out.push(b.type.data)
  }
  return out
}

/**
 * Bot API text parameters as TDLib wants them: parse_mode through TDLib's
 * own parseTextEntities (offline, no session), entities and inline
 * keyboards translated field by field.
 */
import type { TdBackend, TdObject } from '../tdlib/backend.js'
import { isTdError } from '../tdlib/backend.js'
import { toTdMessageId } from './convert.js'
import { badRequest } from './errors.js'
import type { Params } from './params.js'

type Obj = Record<string, any>

const PARSE_MODES: Record<string, TdObject> = {
  markdownv2: { '@type': 'textParseModeMarkdown', version: 2 },
  markdown: { '@type': 'textParseModeMarkdown', version: 1 },
  html: { '@type': 'textParseModeHTML' }
}

const ENTITY_TYPES: Record<string, string> = {
  mention: 'textEntityTypeMention',
  hashtag: 'textEntityTypeHashtag',
  cashtag: 'textEntityTypeCashtag',
  bot_command: 'textEntityTypeBotCommand',
  url: 'textEntityTypeUrl',
  email: 'textEntityTypeEmailAddress',
  phone_number: 'textEntityTypePhoneNumber',
  bold: 'textEntityTypeBold',
  italic: 'textEntityTypeItalic',
  underline: 'textEntityTypeUnderline',
  strikethrough: 'textEntityTypeStrikethrough',
  spoiler: 'textEntityTypeSpoiler',
  code: 'textEntityTypeCode',
  blockquote: 'textEntityTypeBlockQuote',
  expandable_blockquote: 'textEntityTypeExpandableBlockQuote'
}

/** The formattedText of `text` with `parse_mode` or `entities` (not both, as in the Bot API). */
export function formattedText (backend: Pick<TdBackend, 'execute'>, params: Params, textName = 'text', entitiesName = 'entities'): TdObject {
  const text = params.requiredString(textName)
  const mode = params.string('parse_mode')
  if (mode !== undefined && mode !== '') {
    const parseMode = PARSE_MODES[mode.toLowerCase()]
    if (parseMode === undefined) throw badRequest(`unsupported parse_mode "${mode}"; use MarkdownV2, HTML or Markdown`)
    const parsed = backend.execute({ '@type': 'parseTextEntities', text, parse_mode: parseMode })
    if (parsed === null || isTdError(parsed)) throw badRequest(`can't parse entities: ${String(parsed?.message ?? 'TDLib could not parse the text')}`)
    return parsed
  }
  const entities = params.json(entitiesName)
  return { '@type': 'formattedText', text, entities: entities === undefined ? [] : toTdEntities(entities, entitiesName) }
}

function toTdEntities (value: unknown, name: string): TdObject[] {
  if (!Array.isArray(value)) throw badRequest(`parameter "${name}" must be an array of MessageEntity`)
  return value.map((e: Obj, i) => {
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.offset) || !Number.isInteger(e.length)) throw badRequest(`${name}[${i}] needs integer offset and length`)
    const simple = ENTITY_TYPES[String(e.type)]
    let type: TdObject
    if (simple !== undefined) type = { '@type': simple }
    else if (e.type === 'pre') type = typeof e.language === 'string' && e.language !== '' ? { '@type': 'textEntityTypePreCode', language: e.language } : { '@type': 'textEntityTypePre' }
    else if (e.type === 'text_link' && typeof e.url === 'string') type = { '@type': 'textEntityTypeTextUrl', url: e.url }
    else if (e.type === 'text_mention' && Number.isInteger(e.user?.id)) type = { '@type': 'textEntityTypeMentionName', user_id: e.user.id }
    else if (e.type === 'custom_emoji' && typeof e.custom_emoji_id === 'string') type = { '@type': 'textEntityTypeCustomEmoji', custom_emoji_id: e.custom_emoji_id }
    else throw badRequest(`${name}[${i}]: unsupported or incomplete entity type ${JSON.stringify(e.type)}`)
    return { '@type': 'textEntity', offset: e.offset, length: e.length, type }
  })
}

/**
 * reply_markup as TDLib's replyMarkup: an inline keyboard (callback_data and
 * url buttons), a reply keyboard (text, contact and location buttons), a
 * keyboard removal or a force reply. `inlineOnly` for methods that take only
 * an inline keyboard (edits).
 */
export function replyMarkup (params: Params, inlineOnly = false): TdObject | undefined {
  const markup = params.json('reply_markup') as Obj | undefined
  if (markup === undefined) return undefined
  if (typeof markup !== 'object' || markup === null || Array.isArray(markup)) throw badRequest('reply_markup must be an object')
  if (Array.isArray(markup.inline_keyboard)) return inlineKeyboard(markup.inline_keyboard as unknown[], 'reply_markup')
  if (inlineOnly) throw badRequest('reply_markup must be an inline keyboard (inline_keyboard) for this method')
  if (Array.isArray(markup.keyboard)) return replyKeyboard(markup)
  if (markup.remove_keyboard === true) return { '@type': 'replyMarkupRemoveKeyboard', is_personal: markup.selective === true }
  if (markup.force_reply === true) {
    return { '@type': 'replyMarkupForceReply', is_personal: markup.selective === true, input_field_placeholder: placeholder(markup) }
  }
  throw badRequest('reply_markup must have inline_keyboard, keyboard, remove_keyboard: true or force_reply: true')
}

function placeholder (markup: Obj): string {
  const text = markup.input_field_placeholder
  if (text === undefined) return ''
  if (typeof text !== 'string' || [...text].length > 64) throw badRequest('reply_markup.input_field_placeholder must be a string of 0-64 characters')
  return text
}

/** An inline keyboard (also the reply_markup of inline query results). */
export function inlineKeyboard (keyboard: unknown[], at: string): TdObject {
  const rows = keyboard.map((row, r) => {
    if (!Array.isArray(row)) throw badRequest(`${at}.inline_keyboard[${r}] must be an array of buttons`)
    return row.map((b: Obj, c) => {
      const where = `${at}.inline_keyboard[${r}][${c}]`
      if (typeof b?.text !== 'string' || b.text === '') throw badRequest(`${where}: text is required`)
      if (typeof b.callback_data === 'string') {
        const data = Buffer.from(b.callback_data, 'utf8')
        if (data.length < 1 || data.length > 64) throw badRequest(`${where}: callback_data must be 1-64 bytes`)
        return { '@type': 'inlineKeyboardButton', text: b.text, type: { '@type': 'inlineKeyboardButtonTypeCallback', data: data.toString('base64') } }
      }
      if (typeof b.url === 'string') return { '@type': 'inlineKeyboardButton', text: b.text, type: { '@type': 'inlineKeyboardButtonTypeUrl', url: b.url } }
      throw badRequest(`${where}: only callback_data and url buttons are supported by the tdbroker gateway yet`)
    })
  })
  return { '@type': 'replyMarkupInlineKeyboard', rows }
}

function replyKeyboard (markup: Obj): TdObject {
  const rows = (markup.keyboard as unknown[]).map((row, r) => {
    if (!Array.isArray(row)) throw badRequest(`reply_markup.keyboard[${r}] must be an array of buttons`)
    return row.map((b: unknown, c) => {
      const where = `reply_markup.keyboard[${r}][${c}]`
      // A button may be just its text.
      const button = (typeof b === 'string' ? { text: b } : b) as Obj
      if (typeof button !== 'object' || button === null || typeof button.text !== 'string' || button.text === '') throw badRequest(`${where}: text is required`)
      let type = 'keyboardButtonTypeText'
      if (button.request_contact === true) type = 'keyboardButtonTypeRequestPhoneNumber'
      else if (button.request_location === true) type = 'keyboardButtonTypeRequestLocation'
      else if (Object.keys(button).some(k => k.startsWith('request_') || k === 'web_app')) {
        throw badRequest(`${where}: only text, request_contact and request_location buttons are supported by the tdbroker gateway yet`)
      }
      return { '@type': 'keyboardButton', text: button.text, type: { '@type': type } }
    })
  })
  return {
    '@type': 'replyMarkupShowKeyboard',
    rows,
    is_persistent: markup.is_persistent === true,
    resize_keyboard: markup.resize_keyboard === true,
    one_time: markup.one_time_keyboard === true,
    is_personal: markup.selective === true,
    input_field_placeholder: placeholder(markup)
  }
}

/** link_preview_options (or the older disable_web_page_preview) as TDLib's linkPreviewOptions. */
export function linkPreviewOptions (params: Params): TdObject | undefined {
  const o = params.json('link_preview_options') as Obj | undefined
  if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) throw badRequest('link_preview_options must be an object')
  if (o === undefined) return params.bool('disable_web_page_preview') ? { '@type': 'linkPreviewOptions', is_disabled: true } : undefined
  if (o.url !== undefined && typeof o.url !== 'string') throw badRequest('link_preview_options.url must be a string')
  if (o.prefer_small_media === true && o.prefer_large_media === true) throw badRequest('link_preview_options: prefer_small_media and prefer_large_media exclude each other')
  return {
    '@type': 'linkPreviewOptions',
    is_disabled: o.is_disabled === true,
    url: o.url ?? '',
    force_small_media: o.prefer_small_media === true,
    force_large_media: o.prefer_large_media === true,
    show_above_text: o.show_above_text === true
  }
}

/** Fields of reply_parameters the gateway reads; the others are refused rather than ignored. */
const REPLY_FIELDS = new Set(['message_id', 'allow_sending_without_reply'])

/** reply_parameters or reply_to_message_id as TDLib's reply_to. */
export function replyTo (params: Params): TdObject | undefined {
  const parameters = params.json('reply_parameters') as Obj | undefined
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) throw badRequest('reply_parameters must be an object')
  const other = Object.keys(parameters ?? {}).find(k => !REPLY_FIELDS.has(k))
  if (other !== undefined) throw badRequest(`reply_parameters.${other} is not supported by the tdbroker gateway yet (message_id only, in the same chat)`)
  const id = parameters !== undefined ? parameters.message_id : params.int('reply_to_message_id')
  if (id === undefined) return undefined
  if (!Number.isSafeInteger(id)) throw badRequest('reply_parameters.message_id must be an integer')
  return { '@type': 'inputMessageReplyToMessage', message_id: toTdMessageId(id as number) }
}

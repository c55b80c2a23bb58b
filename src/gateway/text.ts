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
export function formattedText (backend: Pick<TdBackend, 'execute'>, params: Params, textName = 'text'): TdObject {
  const text = params.requiredString(textName)
  const mode = params.string('parse_mode')
  if (mode !== undefined && mode !== '') {
    const parseMode = PARSE_MODES[mode.toLowerCase()]
    if (parseMode === undefined) throw badRequest(`unsupported parse_mode "${mode}"; use MarkdownV2, HTML or Markdown`)
    const parsed = backend.execute({ '@type': 'parseTextEntities', text, parse_mode: parseMode })
    if (parsed === null || isTdError(parsed)) throw badRequest(`can't parse entities: ${String(parsed?.message ?? 'TDLib could not parse the text')}`)
    return parsed
  }
  const entities = params.json('entities')
  return { '@type': 'formattedText', text, entities: entities === undefined ? [] : toTdEntities(entities) }
}

function toTdEntities (value: unknown): TdObject[] {
  if (!Array.isArray(value)) throw badRequest('parameter "entities" must be an array of MessageEntity')
  return value.map((e: Obj, i) => {
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.offset) || !Number.isInteger(e.length)) throw badRequest(`entities[${i}] needs integer offset and length`)
    const simple = ENTITY_TYPES[String(e.type)]
    let type: TdObject
    if (simple !== undefined) type = { '@type': simple }
    else if (e.type === 'pre') type = typeof e.language === 'string' && e.language !== '' ? { '@type': 'textEntityTypePreCode', language: e.language } : { '@type': 'textEntityTypePre' }
    else if (e.type === 'text_link' && typeof e.url === 'string') type = { '@type': 'textEntityTypeTextUrl', url: e.url }
    else if (e.type === 'text_mention' && Number.isInteger(e.user?.id)) type = { '@type': 'textEntityTypeMentionName', user_id: e.user.id }
    else if (e.type === 'custom_emoji' && typeof e.custom_emoji_id === 'string') type = { '@type': 'textEntityTypeCustomEmoji', custom_emoji_id: e.custom_emoji_id }
    else throw badRequest(`entities[${i}]: unsupported or incomplete entity type ${JSON.stringify(e.type)}`)
    return { '@type': 'textEntity', offset: e.offset, length: e.length, type }
  })
}

/** reply_markup as TDLib's replyMarkup; only inline keyboards (callback_data and url buttons) so far. */
export function replyMarkup (params: Params): TdObject | undefined {
  const markup = params.json('reply_markup') as Obj | undefined
  if (markup === undefined) return undefined
  if (typeof markup !== 'object' || markup === null || !Array.isArray(markup.inline_keyboard)) {
    throw badRequest('reply_markup: only inline_keyboard is supported by the tdbroker gateway yet')
  }
  const rows = (markup.inline_keyboard as unknown[]).map((row, r) => {
    if (!Array.isArray(row)) throw badRequest(`reply_markup.inline_keyboard[${r}] must be an array of buttons`)
    return row.map((b: Obj, c) => {
      const where = `reply_markup.inline_keyboard[${r}][${c}]`
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

/** reply_parameters or reply_to_message_id as TDLib's reply_to. */
export function replyTo (params: Params): TdObject | undefined {
  const parameters = params.json('reply_parameters') as Obj | undefined
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null)) throw badRequest('reply_parameters must be an object')
  const id = parameters !== undefined ? parameters.message_id : params.int('reply_to_message_id')
  if (id === undefined) return undefined
  if (!Number.isSafeInteger(id)) throw badRequest('reply_parameters.message_id must be an integer')
  return { '@type': 'inputMessageReplyToMessage', message_id: toTdMessageId(id as number) }
}

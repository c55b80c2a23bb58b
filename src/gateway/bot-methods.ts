/**
 * Methods only a bot has: answerInlineQuery (article results with text
 * content, the only kind the gateway builds so far) and the command menus
 * (setMyCommands, getMyCommands, deleteMyCommands) with their scopes.
 */
import type { BotCommand } from '@grammyjs/types'
import type { TdObject } from '../tdlib/backend.js'
import { toBotCommands } from './convert-members.js'
import { badRequest } from './errors.js'
import type { MethodContext, MethodDef } from './methods.js'
import { Params } from './params.js'
import { formattedText, inlineKeyboard, linkPreviewOptions } from './text.js'

type Obj = Record<string, any>

/** Results per answer, as Telegram allows. */
const MAX_RESULTS = 50

function inputTextContent (content: unknown, at: string, ctx: MethodContext): TdObject {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw badRequest(`${at}.input_message_content is required`)
  if (typeof (content as Obj).message_text !== 'string') {
    throw badRequest(`${at}.input_message_content: only InputTextMessageContent (message_text) is supported by the tdbroker gateway yet`)
  }
  const p = new Params(content as Record<string, unknown>)
  const preview = linkPreviewOptions(p)
  return { '@type': 'inputMessageText', text: formattedText(ctx.backend, p, 'message_text'), ...(preview === undefined ? {} : { link_preview_options: preview }) }
}

function inlineResult (r: Obj, i: number, ctx: MethodContext): TdObject {
  const at = `results[${i}]`
  if (typeof r !== 'object' || r === null) throw badRequest(`${at} must be an InlineQueryResult object`)
  if (r.type !== 'article') throw badRequest(`${at}: result type ${JSON.stringify(r.type)} is not supported by the tdbroker gateway yet (article only)`)
  if (typeof r.id !== 'string' || r.id === '' || Buffer.byteLength(r.id) > 64) throw badRequest(`${at}.id must be 1-64 bytes`)
  if (typeof r.title !== 'string' || r.title === '') throw badRequest(`${at}.title is required`)
  const markup = r.reply_markup as Obj | undefined
  if (markup !== undefined && !Array.isArray(markup?.inline_keyboard)) throw badRequest(`${at}.reply_markup must be an inline keyboard`)
  return {
    '@type': 'inputInlineQueryResultArticle',
    id: r.id,
    url: typeof r.url === 'string' ? r.url : '',
    title: r.title,
    description: typeof r.description === 'string' ? r.description : '',
    thumbnail_url: typeof r.thumbnail_url === 'string' ? r.thumbnail_url : '',
    thumbnail_width: Number.isInteger(r.thumbnail_width) ? r.thumbnail_width : 0,
    thumbnail_height: Number.isInteger(r.thumbnail_height) ? r.thumbnail_height : 0,
    ...(markup === undefined ? {} : { reply_markup: inlineKeyboard(markup.inline_keyboard as unknown[], `${at}.reply_markup`) }),
    input_message_content: inputTextContent(r.input_message_content, at, ctx)
  }
}

function resultsButton (p: Params): TdObject | undefined {
  const b = p.json('button') as Obj | undefined
  if (b === undefined) return undefined
  if (typeof b !== 'object' || b === null || typeof b.text !== 'string' || b.text === '') throw badRequest('button.text is required')
  if (typeof b.start_parameter === 'string') {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(b.start_parameter)) throw badRequest('button.start_parameter must be 1-64 characters A-Z, a-z, 0-9, _ and -')
    return { '@type': 'inlineQueryResultsButton', text: b.text, type: { '@type': 'inlineQueryResultsButtonTypeStartBot', parameter: b.start_parameter } }
  }
  if (typeof b.web_app?.url === 'string') return { '@type': 'inlineQueryResultsButton', text: b.text, type: { '@type': 'inlineQueryResultsButtonTypeWebApp', url: b.web_app.url } }
  throw badRequest('button needs start_parameter or web_app')
}

const answerInlineQuery: MethodDef = {
  td: ['answerInlineQuery'],
  run: async ctx => {
    const p = ctx.params
    const results = p.json('results')
    if (!Array.isArray(results) || results.length > MAX_RESULTS) throw badRequest(`results must be a JSON array of at most ${MAX_RESULTS} InlineQueryResult`)
    const button = resultsButton(p)
    await ctx.call({
      '@type': 'answerInlineQuery',
      inline_query_id: p.requiredString('inline_query_id'),
      is_personal: p.bool('is_personal'),
      ...(button === undefined ? {} : { button }),
      results: results.map((r, i) => inlineResult(r as Obj, i, ctx)),
      cache_time: p.int('cache_time') ?? 300,
      next_offset: p.string('next_offset') ?? ''
    })
    return true
  }
}

const SIMPLE_SCOPES: Readonly<Record<string, string>> = {
  default: 'botCommandScopeDefault',
  all_private_chats: 'botCommandScopeAllPrivateChats',
  all_group_chats: 'botCommandScopeAllGroupChats',
  all_chat_administrators: 'botCommandScopeAllChatAdministrators'
}

/** A BotCommandScope as TDLib's, and language_code. */
function scopeAndLanguage (p: Params): { scope: TdObject, language_code: string } {
  const language = p.string('language_code') ?? ''
  if (language !== '' && !/^[a-z]{2}$/.test(language)) throw badRequest('language_code must be a two-letter ISO 639-1 code or empty')
  const s = p.json('scope') as Obj | undefined
  if (s === undefined) return { scope: { '@type': 'botCommandScopeDefault' }, language_code: language }
  if (typeof s !== 'object' || s === null) throw badRequest('scope must be a BotCommandScope object')
  const simple = SIMPLE_SCOPES[String(s.type)]
  if (simple !== undefined) return { scope: { '@type': simple }, language_code: language }
  if (s.type !== 'chat' && s.type !== 'chat_administrators' && s.type !== 'chat_member') throw badRequest(`unsupported scope type ${JSON.stringify(s.type)}`)
  if (!Number.isSafeInteger(s.chat_id)) throw badRequest('scope.chat_id must be a numeric chat id')
  if (s.type === 'chat') return { scope: { '@type': 'botCommandScopeChat', chat_id: s.chat_id }, language_code: language }
  if (s.type === 'chat_administrators') return { scope: { '@type': 'botCommandScopeChatAdministrators', chat_id: s.chat_id }, language_code: language }
  if (!Number.isSafeInteger(s.user_id)) throw badRequest('scope.user_id must be a user id')
  return { scope: { '@type': 'botCommandScopeChatMember', chat_id: s.chat_id, user_id: s.user_id }, language_code: language }
}

function botCommands (p: Params): TdObject[] {
  const list = p.json('commands')
  if (!Array.isArray(list) || list.length > 100) throw badRequest('commands must be a JSON array of at most 100 BotCommand')
  return list.map((c: Obj, i) => {
    if (typeof c?.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest(`commands[${i}].command must be 1-32 characters a-z, 0-9 and _`)
    if (typeof c.description !== 'string' || c.description.trim() === '' || [...c.description].length > 256) throw badRequest(`commands[${i}].description must be 1-256 characters`)
    return { '@type': 'botCommand', command: c.command, description: c.description }
  })
}

/**
 * The scope and language of a commands call. A scope naming a chat is
 * first read with getChat through the pipeline, so the consumer's chat
 * scope decides which chats' menus it may touch.
 */
async function commandScope (ctx: MethodContext): Promise<{ scope: TdObject, language_code: string }> {
  const target = scopeAndLanguage(ctx.params)
  if (target.scope.chat_id !== undefined) await ctx.call({ '@type': 'getChat', chat_id: target.scope.chat_id })
  return target
}

const setMyCommands: MethodDef = {
  td: ['setCommands'],
  run: async ctx => {
    const commands = botCommands(ctx.params)
    await ctx.call({ '@type': 'setCommands', ...await commandScope(ctx), commands })
    return true
  }
}

const getMyCommands: MethodDef = {
  td: ['getCommands'],
  run: async (ctx): Promise<BotCommand[]> => toBotCommands(await ctx.call({ '@type': 'getCommands', ...await commandScope(ctx) }))
}

const deleteMyCommands: MethodDef = {
  td: ['deleteCommands'],
  run: async ctx => {
    await ctx.call({ '@type': 'deleteCommands', ...await commandScope(ctx) })
    return true
  }
}

export const BOT_METHODS: Readonly<Record<string, MethodDef>> = { answerInlineQuery, setMyCommands, getMyCommands, deleteMyCommands }

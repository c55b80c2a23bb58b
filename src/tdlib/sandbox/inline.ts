/**
 * Bots' round trips: a user's getCallbackQueryAnswer waits for the bot's
 * answerCallbackQuery (the bot sees updateNewCallbackQuery, or
 * updateNewInlineCallbackQuery for a message sent through it inline), and a
 * user's getInlineQueryResults waits for answerInlineQuery. A bot that does
 * not answer in time gives the user 400 BOT_RESPONSE_TIMEOUT, as Telegram does.
 */
import { ok, TdFailure, fail, given, int, str, type Td, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import type { Account, Conversation, StoredMessage } from './model.js'
import { callbackData, messageContent, replyMarkup, setReplyMarkup } from './content.js'
import { announceEdit, checkCanSend, sendFromClient } from './messages.js'
import { knownChat, knownUser } from './lookups.js'
import type { World } from './world.js'

interface Waiting<T> {
  id: string
  botId: number
  userId: number
  /** The inline query's text (for updateNewChosenInlineResult); '' for callback queries. */
  query: string
  resolve(value: T): void
  reject(failure: TdFailure): void
  timer: NodeJS.Timeout
}

export type PendingCallbackQuery = Waiting<Td<Tl.callbackQueryAnswer>>
export type PendingInlineQuery = Waiting<Td<Tl.inlineQueryResults>>

/** A bot's answer to an inline query, kept for sendInlineQueryResultMessage. */
export interface InlineAnswer {
  botId: number
  userId: number
  query: string
  results: Map<string, { content: Td<Tl.messageText>, replyMarkup: Td<Tl.ReplyMarkup> | undefined }>
}

/** Answers kept for sendInlineQueryResultMessage; older ones are forgotten. */
const MAX_INLINE_ANSWERS = 1000

function botOnly (me: Account): void {
  if (!me.isBot) fail(400, 'The method is available only to bots')
}

/** A stable int64 per chat, as Telegram's chat_instance. */
function chatInstance (conv: Conversation): string {
  let h = 0xcbf29ce484222325n
  for (const c of conv.key) h = ((h ^ BigInt(c.charCodeAt(0))) * 0x100000001b3n) & 0x7fffffffffffffffn
  return h.toString()
}

/** Parks the user's request until the bot answers or the timeout passes. */
function wait<T> (world: World, map: Map<string, Waiting<T>>, botId: number, userId: number, query = ''): { id: string, answer: Promise<T> } {
  const id = world.nextQueryId()
  const answer = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      map.delete(id)
      reject(new TdFailure(400, 'BOT_RESPONSE_TIMEOUT'))
    }, world.options.botTimeoutMs)
    map.set(id, { id, botId, userId, query, resolve, reject, timer })
  })
  return { id, answer }
}

/** The query a bot answers; 400 QUERY_ID_INVALID if it is not this bot's or no longer waits. */
function find<T> (map: Map<string, Waiting<T>>, rawId: unknown, botId: number): Waiting<T> {
  const id = typeof rawId === 'number' || typeof rawId === 'string' ? String(rawId) : ''
  const pending = map.get(id)
  if (pending === undefined || pending.botId !== botId) return fail(400, 'QUERY_ID_INVALID')
  return pending
}

function settle<T> (map: Map<string, Waiting<T>>, pending: Waiting<T>, value: T): void {
  map.delete(pending.id)
  clearTimeout(pending.timer)
  pending.resolve(value)
}

function inlineMessage (world: World, inlineMessageId: unknown, botId: number): StoredMessage {
  const m = world.inlineMessages.get(str(inlineMessageId))
  if (m === undefined || m.deleted || m.viaBotId !== botId) return fail(400, 'MESSAGE_ID_INVALID')
  return m
}

function botDevices (ctx: ReadyCtx, bot: Account, notify: (device: ReadyCtx['device']) => void): void {
  for (const device of bot.devices) {
    device.ensureUser(ctx.world, ctx.me.id)
    notify(device)
  }
}

export const inlineHandlers: ReadyHandlers = {
  getCallbackQueryAnswer: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const m = conv.visible(int(req.message_id), ctx.me.id)
    if (m === undefined) return fail(400, 'Message not found')
    const payload = req.payload
    if (payload?.['@type'] !== 'callbackQueryPayloadData') return fail(400, 'Only callbackQueryPayloadData is supported by the sandbox')
    const data = str(payload.data)
    if (!callbackData(m.replyMarkup).includes(data)) fail(400, 'BUTTON_DATA_INVALID')
    const bot = ctx.world.accounts.get(m.viaBotId !== 0 ? m.viaBotId : m.senderId)
    if (bot?.isBot !== true) return fail(400, 'BUTTON_DATA_INVALID')
    const { id, answer } = wait(ctx.world, ctx.world.callbackQueries, bot.id, ctx.me.id)
    const common = { id, sender_user_id: ctx.me.id, chat_instance: chatInstance(conv), payload: { '@type': 'callbackQueryPayloadData' as const, data } }
    botDevices(ctx, bot, device => {
      if (m.inlineMessageId !== undefined) {
        device.emit({ '@type': 'updateNewInlineCallbackQuery', ...common, inline_message_id: m.inlineMessageId })
      } else {
        const chatId = conv.chatIdFor(bot.id)
        device.ensureChat(ctx.world, chatId)
        device.emit({ '@type': 'updateNewCallbackQuery', ...common, chat_id: chatId, message_id: m.id })
      }
    })
    return answer
  },

  answerCallbackQuery: (ctx, req) => {
    botOnly(ctx.me)
    const pending = find(ctx.world.callbackQueries, req.callback_query_id, ctx.me.id)
    settle(ctx.world.callbackQueries, pending, { '@type': 'callbackQueryAnswer', text: str(req.text), show_alert: req.show_alert === true, url: str(req.url) })
    return ok()
  },

  getInlineQueryResults: (ctx, req) => {
    const bot = knownUser(ctx, int(req.bot_user_id))
    if (!bot.isBot || !bot.isInline) fail(400, 'BOT_INLINE_DISABLED')
    const chatId = int(req.chat_id)
    const chatType = chatId === 0 ? undefined : chatTypeOf(ctx, knownChat(ctx, chatId))
    const { id, answer } = wait(ctx.world, ctx.world.inlineQueries, bot.id, ctx.me.id, str(req.query))
    botDevices(ctx, bot, device => device.emit({
      '@type': 'updateNewInlineQuery',
      id,
      sender_user_id: ctx.me.id,
      ...(chatType === undefined ? {} : { chat_type: chatType }),
      query: str(req.query),
      offset: str(req.offset),
    }))
    return answer
  },

  answerInlineQuery: (ctx, req) => {
    botOnly(ctx.me)
    const pending = find(ctx.world.inlineQueries, req.inline_query_id, ctx.me.id)
    const stored: InlineAnswer = { botId: ctx.me.id, userId: pending.userId, query: pending.query, results: new Map() }
    const results: Array<Td<Tl.InlineQueryResult>> = []
    // A bad answer fails here and leaves the query open, as Telegram does.
    for (const r of req.results ?? []) {
      if (r['@type'] !== 'inputInlineQueryResultArticle') {
        fail(400, `Inline query result of type ${String(r['@type'])} is not supported by the sandbox`)
      }
      const resultId = str(r.id)
      if (resultId === '') fail(400, 'RESULT_ID_EMPTY')
      if (stored.results.has(resultId)) fail(400, 'RESULT_ID_DUPLICATE')
      stored.results.set(resultId, { content: messageContent(r.input_message_content), replyMarkup: replyMarkup(r.reply_markup) })
      results.push({ '@type': 'inlineQueryResultArticle', id: resultId, url: str(r.url), title: str(r.title), description: str(r.description) })
    }
    const answers = ctx.world.inlineAnswers
    answers.set(pending.id, stored)
    if (answers.size > MAX_INLINE_ANSWERS) answers.delete(answers.keys().next().value!)
    const button = given(req.button)
    settle(ctx.world.inlineQueries, pending, {
      '@type': 'inlineQueryResults',
      inline_query_id: pending.id,
      ...(button === undefined
        ? {}
        : {
            button: {
              '@type': 'inlineQueryResultsButton',
              text: str(button.text),
              type: button.type?.['@type'] === 'inlineQueryResultsButtonTypeWebApp'
                ? { '@type': 'inlineQueryResultsButtonTypeWebApp', url: str(button.type.url) }
                : { '@type': 'inlineQueryResultsButtonTypeStartBot', parameter: button.type?.['@type'] === 'inlineQueryResultsButtonTypeStartBot' ? str(button.type.parameter) : '' },
            },
          }),
      results,
      next_offset: str(req.next_offset),
    })
    return ok()
  },

  sendInlineQueryResultMessage: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    checkCanSend(ctx, conv)
    const queryId = typeof req.query_id === 'number' || typeof req.query_id === 'string' ? String(req.query_id) : ''
    const answer = ctx.world.inlineAnswers.get(queryId)
    if (answer === undefined || answer.userId !== ctx.me.id) return fail(400, 'QUERY_ID_INVALID')
    const result = answer.results.get(str(req.result_id))
    if (result === undefined) return fail(400, 'RESULT_ID_INVALID')
    const world = ctx.world
    return sendFromClient(ctx, conv, {
      senderId: ctx.me.id,
      content: result.content,
      replyMarkup: result.replyMarkup,
      viaBotId: req.hide_via_bot === true ? 0 : answer.botId,
    }, int(req.options?.sending_id), m => {
      if (m.viaBotId !== 0) {
        m.inlineMessageId = Buffer.from(`${m.conv.key}:${m.id}`).toString('base64url')
        world.inlineMessages.set(m.inlineMessageId, m)
      }
      // The bot hears which result was chosen; inline_message_id only when the message has an inline keyboard, as in Telegram.
      const bot = world.accounts.get(answer.botId)
      if (bot === undefined) return
      const inlineMessageId = m.inlineMessageId !== undefined && m.replyMarkup?.['@type'] === 'replyMarkupInlineKeyboard' ? m.inlineMessageId : ''
      botDevices(ctx, bot, device => device.emit({
        '@type': 'updateNewChosenInlineResult', sender_user_id: ctx.me.id, query: answer.query, result_id: str(req.result_id), inline_message_id: inlineMessageId,
      }))
    })
  },

  editInlineMessageText: (ctx, req) => {
    botOnly(ctx.me)
    const m = inlineMessage(ctx.world, req.inline_message_id, ctx.me.id)
    m.content = messageContent(req.input_message_content)
    setReplyMarkup(m, req.reply_markup)
    m.editDate = ctx.world.now()
    announceEdit(ctx, m, true)
    return ok()
  },

  editInlineMessageReplyMarkup: (ctx, req) => {
    botOnly(ctx.me)
    const m = inlineMessage(ctx.world, req.inline_message_id, ctx.me.id)
    setReplyMarkup(m, req.reply_markup)
    m.editDate = ctx.world.now()
    announceEdit(ctx, m, false)
    return ok()
  },
}

function chatTypeOf (ctx: ReadyCtx, conv: Conversation): Td<Tl.ChatType> {
  const g = conv.group
  if (g === undefined) return { '@type': 'chatTypePrivate', user_id: conv.chatIdFor(ctx.me.id) }
  if (g.kind === 'basic') return { '@type': 'chatTypeBasicGroup', basic_group_id: g.id }
  return { '@type': 'chatTypeSupergroup', supergroup_id: g.id, is_channel: g.isChannel }
}

/**
 * The Bot API methods the gateway answers, each with the TDLib requests it
 * sends. A consumer may call a method only when its client's scope allows
 * every one of those requests (checked before anything runs), and each
 * request then goes through the broker's own pipeline, so the same code
 * enforces scopes for Bot API consumers and TDLib clients alike.
 */
import type { ChatFullInfo, Message, UserFromGetMe, WebhookInfo } from '@grammyjs/types'
import type { BotApiConsumerSettings } from '../settings/types.js'
import type { TdBackend, TdObject } from '../tdlib/backend.js'
import type { BotSession } from './bot-session.js'
import { toChat, toMe, toMessage, toTdMessageId } from './convert.js'
import { badRequest } from './errors.js'
import type { Params, UploadedFile } from './params.js'
import { updateJson, type Poller, type UpdateQueue } from './queue.js'
import { JsonText } from './http.js'
import { formattedText, linkPreviewOptions, replyMarkup, replyTo } from './text.js'
import { checkWebhookUrl, type WebhookSender } from './webhook.js'
import { chatIdParam, MESSAGE_METHODS } from './message-methods.js'
import { CHAT_METHODS } from './chat-methods.js'
import { BOT_METHODS } from './bot-methods.js'
import { MEDIA_METHODS } from './media-methods.js'
import { ADMIN_METHODS } from './admin-methods.js'

export interface MethodContext {
  readonly consumer: BotApiConsumerSettings
  readonly params: Params
  readonly bot: BotSession
  readonly queue: UpdateQueue
  readonly webhook: WebhookSender
  /** Who calls getUpdates (a consumer group's instance) and when the client went away. */
  readonly poller: Poller
  readonly backend: Pick<TdBackend, 'execute'>
  /** Sends a TDLib request through the broker's pipeline as the consumer's client; a TDLib error is thrown as the Bot API's. */
  call(request: TdObject): Promise<TdObject>
  /** Writes an uploaded file part into the bot session (the broker's upload store); `release` deletes it. */
  upload(file: UploadedFile): Promise<{ input: TdObject, release(): Promise<void> }>
}

export interface MethodDef {
  /** TDLib requests the method may send; all must be in the client's scope. */
  readonly td: readonly string[]
  run(ctx: MethodContext): Promise<unknown>
}

/** Longest getUpdates timeout, in seconds (Telegram's own cap is about 50). */
const MAX_POLL_SECONDS = 50

const chatId = (p: Params): number => chatIdParam(p)

function allowedUpdates (p: Params): string[] | undefined {
  const v = p.json('allowed_updates')
  if (v === undefined) return undefined
  if (!Array.isArray(v) || !v.every(x => typeof x === 'string')) throw badRequest('allowed_updates must be a JSON array of strings')
  return v
}

const getMe: MethodDef = {
  td: ['getMe'],
  run: async (ctx): Promise<UserFromGetMe> => toMe(await ctx.call({ '@type': 'getMe' }))
}

const getUpdates: MethodDef = {
  td: [],
  run: async ctx => {
    const p = ctx.params
    const limit = p.int('limit') ?? 100
    const timeout = p.int('timeout') ?? 0
    if (limit < 1 || limit > 100) throw badRequest('limit must be from 1 to 100')
    if (timeout < 0) throw badRequest('timeout must not be negative')
    const updates = await ctx.queue.take(p.int('offset'), limit, Math.min(timeout, MAX_POLL_SECONDS) * 1000, allowedUpdates(p), ctx.poller)
    return new JsonText(`[${updates.map(updateJson).join(',')}]`)
  }
}

const sendMessage: MethodDef = {
  td: ['sendMessage'],
  run: async (ctx): Promise<Message> => {
    const p = ctx.params
    const chat = chatId(p)
    const text = formattedText(ctx.backend, p)
    const markup = replyMarkup(p)
    const reply = replyTo(p)
    const request: TdObject = {
      '@type': 'sendMessage',
      chat_id: chat,
      input_message_content: { '@type': 'inputMessageText', text, ...linkPreview(p) },
      ...(p.bool('disable_notification') ? { options: { '@type': 'messageSendOptions', disable_notification: true } } : {}),
      ...(markup === undefined ? {} : { reply_markup: markup }),
      ...(reply === undefined ? {} : { reply_to: reply })
    }
    const temporary = await ctx.call(request)
    return await toMessage(await ctx.bot.sent(temporary), ctx.bot.known)
  }
}

function linkPreview (p: Params): Record<string, unknown> {
  const preview = linkPreviewOptions(p)
  return preview === undefined ? {} : { link_preview_options: preview }
}

const editMessageText: MethodDef = {
  td: ['editMessageText'],
  run: async (ctx): Promise<Message> => {
    const p = ctx.params
    if (p.has('inline_message_id')) throw badRequest('inline_message_id is not supported by the tdbroker gateway yet')
    const markup = replyMarkup(p, true)
    const edited = await ctx.call({
      '@type': 'editMessageText',
      chat_id: chatId(p),
      message_id: toTdMessageId(p.requiredInt('message_id')),
      input_message_content: { '@type': 'inputMessageText', text: formattedText(ctx.backend, p), ...linkPreview(p) },
      ...(markup === undefined ? {} : { reply_markup: markup })
    })
    return await toMessage(edited, ctx.bot.known)
  }
}

const deleteMessage: MethodDef = {
  td: ['deleteMessages'],
  run: async ctx => {
    const p = ctx.params
    await ctx.call({ '@type': 'deleteMessages', chat_id: chatId(p), message_ids: [toTdMessageId(p.requiredInt('message_id'))], revoke: true })
    return true
  }
}

const answerCallbackQuery: MethodDef = {
  td: ['answerCallbackQuery'],
  run: async ctx => {
    const p = ctx.params
    await ctx.call({
      '@type': 'answerCallbackQuery',
      callback_query_id: p.requiredString('callback_query_id'),
      text: p.string('text') ?? '',
      show_alert: p.bool('show_alert'),
      url: p.string('url') ?? '',
      cache_time: p.int('cache_time') ?? 0
    })
    return true
  }
}

const getChat: MethodDef = {
  td: ['getChat'],
  run: async (ctx): Promise<ChatFullInfo> => {
    const chat = await ctx.call({ '@type': 'getChat', chat_id: chatId(ctx.params) })
    const short = await toChat(chat, ctx.bot.known)
    const common = {
      accent_color_id: Number(chat.accent_color_id ?? 0),
      max_reaction_count: 11,
      accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false, gifts_from_channels: false }
    }
    return { ...short, ...common } as ChatFullInfo
  }
}

/** setWebhook: url checked against the consumer's webhook_hosts; an empty url removes the webhook. */
const setWebhook: MethodDef = {
  td: [],
  run: async ctx => {
    const p = ctx.params
    const url = p.string('url') ?? ''
    const secret = p.string('secret_token')
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) throw badRequest('secret_token must be 1-256 characters A-Z, a-z, 0-9, _ and -')
    const maxConnections = p.int('max_connections') ?? 40
    if (maxConnections < 1 || maxConnections > 100) throw badRequest('max_connections must be from 1 to 100')
    if (p.has('certificate')) throw badRequest('certificate uploads are not supported by the tdbroker gateway')
    const allowed = allowedUpdates(p)
    if (p.bool('drop_pending_updates')) ctx.queue.clear()
    if (url === '') {
      ctx.queue.setWebhook(undefined, allowed)
      // Deliveries on their way are cancelled: getUpdates takes over.
      ctx.webhook.reset()
      return true
    }
    const checked = checkWebhookUrl(ctx.consumer, url)
    ctx.queue.setWebhook({ url: checked.href, max_connections: maxConnections, ...(secret === undefined ? {} : { secret_token: secret }) }, allowed)
    ctx.webhook.reset()
    return true
  }
}

const deleteWebhook: MethodDef = {
  td: [],
  run: async ctx => {
    if (ctx.params.bool('drop_pending_updates')) ctx.queue.clear()
    ctx.queue.setWebhook(undefined, undefined)
    ctx.webhook.reset()
    return true
  }
}

const getWebhookInfo: MethodDef = {
  td: [],
  run: async (ctx): Promise<WebhookInfo> => {
    const hook = ctx.queue.webhook
    const info: WebhookInfo = { url: hook?.url ?? '', has_custom_certificate: false, pending_update_count: ctx.queue.pendingCount }
    if (hook === undefined) return info
    info.max_connections = hook.max_connections
    const error = ctx.webhook.lastError
    if (error !== undefined) {
      info.last_error_date = error.date
      info.last_error_message = error.message
    }
    const allowed = ctx.queue.allowedUpdates
    // As the consumer gave them; kinds the gateway never produces are simply never sent.
    if (allowed !== undefined) info.allowed_updates = allowed as NonNullable<WebhookInfo['allowed_updates']>
    return info
  }
}

/** Every supported method by its name in lower case (Bot API method names are case-insensitive). */
const ALL_METHODS: Readonly<Record<string, MethodDef>> = {
  getMe, getUpdates, deleteWebhook, getWebhookInfo, setWebhook, sendMessage, editMessageText, deleteMessage, answerCallbackQuery, getChat,
  ...MESSAGE_METHODS, ...CHAT_METHODS, ...BOT_METHODS, ...MEDIA_METHODS, ...ADMIN_METHODS
}

/** The methods by their lower-case names (the Bot API's method names are case-insensitive). */
export const METHODS: ReadonlyMap<string, MethodDef> = new Map(Object.entries(ALL_METHODS).map(([name, def]) => [name.toLowerCase(), def]))

/** Each method's own name (as the Bot API writes it) by its lower-case name. */
export const METHOD_NAMES: ReadonlyMap<string, string> = new Map(Object.keys(ALL_METHODS).map(name => [name.toLowerCase(), name]))

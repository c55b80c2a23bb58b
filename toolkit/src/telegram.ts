/**
 * The operations a context offers, on one broker session: send (text,
 * formatted text, buttons), edit, delete, answer a button press. A send
 * resolves with the message as Telegram stored it (its real id, from
 * updateMessageSendSucceeded), not TDLib's temporary copy, so that what it
 * returns can be edited and deleted.
 */
import type { BrokerSession, Td, Update, Wire } from '@tdbroker/client'
import { TelegramError, TimeoutError, ToolkitError, typed } from './errors.js'
import { TdError } from '@tdbroker/client'

export type Message = Wire<Td.message>
export type FormattedText = Wire<Td.formattedText>
/** Plain text, Markdown (TDLib's MarkdownV2), HTML, or a formattedText with its entities. */
export type TextInput = string | { markdown: string } | { html: string } | FormattedText

/** A button: `id` comes back when it is pressed (at most 64 bytes), `text` is its label. */
export interface Button { id: string, text: string }
/** One row of buttons, or rows. */
export type Buttons = Button[] | Button[][]

/** What a send or an edit returns: the message as Telegram has it. */
export interface Sent { chatId: number, id: number, message: Message }

/** Button ids starting with this belong to the toolkit (the delete button). */
export const RESERVED_BUTTON_PREFIX = 'tk:'
export const DELETE_BUTTON_ID = 'tk:delete'

const CONFIRMED_KEPT = 1000

interface Waiting { resolve: (m: Message) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }

export class Telegram {
  /** Send confirmations seen before their sender asked for them (the answer and the update can come in one read). */
  private readonly confirmed = new Map<string, Message | Error>()
  private readonly waiting = new Map<string, Waiting>()
  private closed = false

  constructor (readonly session: BrokerSession, private readonly timeoutMs: number) {}

  /** Feeds the session's updates in: send confirmations and failures. */
  onUpdate (u: Update): void {
    if (u['@type'] !== 'updateMessageSendSucceeded' && u['@type'] !== 'updateMessageSendFailed') return
    const key = `${u.message.chat_id}:${u.old_message_id}`
    const outcome = u['@type'] === 'updateMessageSendSucceeded' ? u.message : new TelegramError('sendMessage', new TdError(u.error.code, u.error.message))
    const w = this.waiting.get(key)
    if (w !== undefined) {
      this.waiting.delete(key)
      clearTimeout(w.timer)
      if (outcome instanceof Error) w.reject(outcome)
      else w.resolve(outcome)
      return
    }
    this.confirmed.set(key, outcome)
    if (this.confirmed.size > CONFIRMED_KEPT) this.confirmed.delete(this.confirmed.keys().next().value as string)
  }

  async formatted (text: TextInput): Promise<FormattedText> {
    if (typeof text === 'string') return { '@type': 'formattedText', text, entities: [] }
    if ('markdown' in text) return await this.parse(text.markdown, { '@type': 'textParseModeMarkdown', version: 2 })
    if ('html' in text) return await this.parse(text.html, { '@type': 'textParseModeHTML' })
    return text
  }

  async send (chatId: number, text: TextInput, buttons?: Buttons, replyTo?: number): Promise<Sent> {
    const content = { '@type': 'inputMessageText' as const, text: await this.formatted(text) }
    const pending = await typed('sendMessage', async () => await this.session.invoke({
      '@type': 'sendMessage',
      chat_id: chatId,
      ...(replyTo === undefined ? {} : { reply_to: { '@type': 'inputMessageReplyToMessage', message_id: replyTo } }),
      ...(buttons === undefined ? {} : { reply_markup: keyboard(buttons) }),
      input_message_content: content
    }, { timeoutMs: this.timeoutMs }))
    if (pending.sending_state === undefined || pending.sending_state === null) return { chatId, id: pending.id, message: pending }
    const message = await this.confirmation(chatId, pending.id)
    return { chatId, id: message.id, message }
  }

  /** Replaces the text; the buttons too when given (`[]` removes them), else keeps the message's own. */
  async edit (chatId: number, messageId: number, text: TextInput, buttons?: Buttons): Promise<Sent> {
    let markup: unknown
    if (buttons === undefined) {
      const current = await typed('getMessage', async () => await this.session.invoke({ '@type': 'getMessage', chat_id: chatId, message_id: messageId }, { timeoutMs: this.timeoutMs }))
      markup = current.reply_markup ?? undefined
    } else {
      markup = buttons.length === 0 ? undefined : keyboard(buttons)
    }
    const content = { '@type': 'inputMessageText' as const, text: await this.formatted(text) }
    const message = await typed('editMessageText', async () => await this.session.invoke({
      '@type': 'editMessageText', chat_id: chatId, message_id: messageId, input_message_content: content,
      ...(markup === undefined ? {} : { reply_markup: markup as Wire<Td.ReplyMarkup$Input> })
    }, { timeoutMs: this.timeoutMs }))
    return { chatId, id: message.id, message }
  }

  async delete (chatId: number, messageIds: number[]): Promise<void> {
    await typed('deleteMessages', async () => await this.session.invoke({ '@type': 'deleteMessages', chat_id: chatId, message_ids: messageIds, revoke: true }, { timeoutMs: this.timeoutMs }))
  }

  async answerButton (queryId: string, text = ''): Promise<void> {
    await typed('answerCallbackQuery', async () => await this.session.invoke({ '@type': 'answerCallbackQuery', callback_query_id: queryId, text, show_alert: false, url: '', cache_time: 0 }, { timeoutMs: this.timeoutMs }))
  }

  /** Rejects every send still waiting for Telegram's confirmation. */
  close (): void {
    this.closed = true
    for (const w of this.waiting.values()) { clearTimeout(w.timer); w.reject(new ToolkitError('STOPPED', 'the toolkit stopped before Telegram confirmed the message')) }
    this.waiting.clear()
    this.confirmed.clear()
  }

  private async parse (text: string, mode: Wire<Td.TextParseMode$Input>): Promise<FormattedText> {
    return await typed('parseTextEntities', async () => await this.session.invoke({ '@type': 'parseTextEntities', text, parse_mode: mode }, { timeoutMs: this.timeoutMs }))
  }

  private async confirmation (chatId: number, temporaryId: number): Promise<Message> {
    if (this.closed) throw new ToolkitError('STOPPED', 'the toolkit stopped before Telegram confirmed the message')
    const key = `${chatId}:${temporaryId}`
    const early = this.confirmed.get(key)
    if (early !== undefined) {
      this.confirmed.delete(key)
      if (early instanceof Error) throw early
      return early
    }
    return await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(key); reject(new TimeoutError('sendMessage (confirmation)', this.timeoutMs)) }, this.timeoutMs)
      this.waiting.set(key, { resolve, reject, timer })
    })
  }
}

/** TDLib's inline keyboard for the buttons; a button's id travels as its callback data (base64). */
export function keyboard (buttons: Buttons): Wire<Td.replyMarkupInlineKeyboard$Input> {
  const rows: Button[][] = buttons.length > 0 && Array.isArray(buttons[0]) ? buttons as Button[][] : [buttons as Button[]]
  return {
    '@type': 'replyMarkupInlineKeyboard',
    rows: rows.map(row => row.map(b => {
      const data = Buffer.from(b.id, 'utf8')
      if (data.length === 0 || data.length > 64) throw new ToolkitError('INVALID_DEFINITION', `button id "${b.id}" must be 1 to 64 bytes (Telegram's limit on callback data)`)
      return { '@type': 'inlineKeyboardButton' as const, text: b.text, type: { '@type': 'inlineKeyboardButtonTypeCallback' as const, data: data.toString('base64') } }
    }))
  }
}

/** A button press's id, from TDLib's base64 callback data. */
export function buttonId (payload: Wire<Td.CallbackQueryPayload>): string | undefined {
  if (payload['@type'] !== 'callbackQueryPayloadData') return undefined
  return Buffer.from(payload.data, 'base64').toString('utf8')
}

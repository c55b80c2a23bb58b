/**
 * An operator's feed: the customers' messages, read by long polling through
 * the gateway with the operator's own read-only token (a consumer of the
 * messenger bot's session whose scope allows no send, delete or ban). Each
 * operator has a queue of their own, so every operator gets every message
 * and none takes another's. The feed never writes: approving goes through
 * the backend (/approve, from the operator's own Telegram account).
 */
import { Bot } from 'grammy'

export interface FeedMessage {
  chatId: number
  chatTitle: string
  from: { id: number, name: string }
  text: string
  messageId: number
  date: number
}

export class OperatorFeed {
  readonly bot: Bot
  private running: Promise<void> | undefined
  private stopped = false

  constructor (options: { apiRoot: string, token: string }, onMessage: (m: FeedMessage) => void) {
    this.bot = new Bot(options.token, { client: { apiRoot: options.apiRoot } })
    this.bot.on('message:text', ctx => {
      // Customers write in their groups; private chats with the bot are the backend's business.
      if (ctx.chat.type !== 'group' && ctx.chat.type !== 'supergroup') return
      const from = ctx.from
      onMessage({
        chatId: ctx.chat.id,
        chatTitle: ctx.chat.title,
        from: { id: from.id, name: [from.first_name, from.last_name].filter(Boolean).join(' ') },
        text: ctx.message.text,
        messageId: ctx.message.message_id,
        date: ctx.message.date
      })
    })
  }

  /** Starts polling; resolves once the first getUpdates is on its way (getMe answered). */
  async start (timeoutS = 30): Promise<void> {
    if (this.running !== undefined) return
    await new Promise<void>((resolve, reject) => {
      this.running = this.bot.start({ timeout: timeoutS, allowed_updates: ['message', 'edited_message'], onStart: () => { resolve() } })
      this.running.catch(reject)
    })
  }

  /** Stops polling (confirming what was handled); safe to call twice. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.bot.isRunning()) await this.bot.stop()
    await this.running?.catch(() => undefined)
  }
}

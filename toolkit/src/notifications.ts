/**
 * Notifications: chats (users, groups, channels) register for topics; a
 * notification to a topic goes to every registered chat through one queue,
 * paced under Telegram's limit (about 30 messages a second for a bot), and
 * a FLOOD_WAIT (429, retry after N) pauses the whole queue for N seconds, as
 * Telegram asks, before the message is tried again. What could not be
 * delivered is reported, chat by chat.
 */
import type { Telegram, TextInput, Sent } from './telegram.js'
import type { ToolkitStore } from './store.js'
import { TelegramError, ToolkitError } from './errors.js'

export interface NotificationOptions {
  /** Messages a second, over all chats (default 25). */
  ratePerSecond?: number
  /** Tries per chat before it is reported failed (default 3). */
  maxAttempts?: number
  /** A FLOOD_WAIT longer than this (seconds) fails the chat instead of pausing (default 60). */
  maxRetryAfterS?: number
  /** Messages queued at most, over all notifications (default 10000); beyond, notify() rejects with QUEUE_FULL. */
  maxQueued?: number
}

export interface DeliveryReport {
  topic: string
  delivered: Sent[]
  failed: Array<{ chatId: number, error: Error }>
  /** FLOOD_WAITs honoured while delivering this notification. */
  floodWaits: number
}

interface Job { chatId: number, text: TextInput, attempts: number, done: (outcome: Sent | Error) => void, onFlood: () => void }

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export class Notifier {
  private readonly queue: Job[] = []
  private draining = false
  private stopped = false
  private readonly interval: number
  private readonly maxAttempts: number
  private readonly maxRetryAfterS: number
  private readonly maxQueued: number

  constructor (private readonly telegram: Telegram, private readonly store: ToolkitStore, options: NotificationOptions, private readonly topics: Set<string>) {
    this.interval = 1000 / (options.ratePerSecond ?? 25)
    this.maxAttempts = options.maxAttempts ?? 3
    this.maxRetryAfterS = options.maxRetryAfterS ?? 60
    this.maxQueued = options.maxQueued ?? 10_000
  }

  /** True when the chat was not registered for the topic before. */
  subscribe (topic: string, chatId: number): boolean { return this.store.subscribe(this.topic(topic), chatId) }
  unsubscribe (topic: string, chatId: number): boolean { return this.store.unsubscribe(this.topic(topic), chatId) }
  subscribers (topic: string): number[] { return this.store.subscribers(this.topic(topic)) }

  /** Sends `text` to every chat registered for the topic; resolves when each was delivered or given up. */
  async notify (topic: string, text: TextInput): Promise<DeliveryReport> {
    const chats = this.subscribers(topic)
    if (this.queue.length + chats.length > this.maxQueued) {
      throw new ToolkitError('QUEUE_FULL', `${chats.length} more notifications would pass the queue's bound of ${this.maxQueued}; try again later`)
    }
    const report: DeliveryReport = { topic, delivered: [], failed: [], floodWaits: 0 }
    await Promise.all(chats.map(async chatId => {
      const outcome = await new Promise<Sent | Error>(resolve => {
        this.queue.push({ chatId, text, attempts: 0, done: resolve, onFlood: () => { report.floodWaits++ } })
        void this.drain()
      })
      if (outcome instanceof Error) report.failed.push({ chatId, error: outcome })
      else report.delivered.push(outcome)
    }))
    return report
  }

  /** Ends every queued delivery as failed (STOPPED). */
  stop (): void {
    this.stopped = true
    for (const job of this.queue.splice(0)) job.done(new ToolkitError('STOPPED', 'the toolkit stopped before this notification was sent'))
  }

  private topic (topic: string): string {
    if (!this.topics.has(topic)) throw new ToolkitError('INVALID_DEFINITION', `unknown topic "${topic}" (declared: ${[...this.topics].join(', ') || 'none'})`)
    return topic
  }

  private async drain (): Promise<void> {
    if (this.draining) return
    this.draining = true
    try {
      for (let job = this.queue.shift(); job !== undefined && !this.stopped; job = this.queue.shift()) {
        const started = Date.now()
        job.attempts++
        try {
          job.done(await this.telegram.send(job.chatId, job.text))
        } catch (e) {
          const wait = e instanceof TelegramError && e.tdCode === 429 ? e.retryAfter ?? 1 : undefined
          if (job.attempts >= this.maxAttempts || (wait !== undefined && wait > this.maxRetryAfterS) || !(e instanceof TelegramError && (wait !== undefined || e.tdCode >= 500))) {
            job.done(e instanceof Error ? e : new Error(String(e)))
          } else {
            this.queue.unshift(job)
            if (wait !== undefined) { job.onFlood(); await sleep(wait * 1000) }
          }
        }
        await sleep(Math.max(0, this.interval - (Date.now() - started)))
      }
    } finally {
      this.draining = false
    }
  }
}

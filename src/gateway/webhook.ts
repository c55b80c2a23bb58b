/**
 * Webhook delivery for one consumer: its queued updates are POSTed to the
 * URL of setWebhook one at a time, oldest first, so they arrive in order; an
 * update leaves the queue only once the webhook answered 2xx. A failure is
 * retried after a backoff (1 s doubling to 60 s) and shown by
 * getWebhookInfo. A method in the response body is executed, as Telegram
 * does. Redirects are not followed: the URL's host is the one settings allow.
 */
import http from 'node:http'
import { Client, type Dispatcher } from 'undici'
import { boundText } from '../log/bound.js'
import type { Logger } from '../log/logger.js'
import type { BotApiConsumerSettings } from '../settings/types.js'
import { badRequest } from './errors.js'
import { updateJson, type UpdateQueue } from './queue.js'

/** How long one delivery may take. */
const DELIVERY_TIMEOUT_MS = 10_000
const BACKOFF_MS = { first: 1000, max: 60_000 }
/** Largest webhook response body read (for a method in it). */
const MAX_RESPONSE = 1024 * 1024

/** Runs a method a webhook answered with, as the consumer. */
export type ResponseMethod = (method: string, params: Record<string, unknown>) => Promise<unknown>

/** Checks a setWebhook url against the consumer's webhook_hosts and webhook_allow_http; returns the URL. */
export function checkWebhookUrl (consumer: BotApiConsumerSettings, text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw badRequest('bad webhook: the url is not a valid URL')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && consumer.webhook_allow_http)) {
    throw badRequest(`bad webhook: ${url.protocol === 'http:' ? 'http:// is not allowed for this consumer (webhook_allow_http)' : 'an HTTPS url must be provided for webhook'}`)
  }
  if (url.username !== '' || url.password !== '') throw badRequest('bad webhook: the url must not hold a user name or password')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (!consumer.webhook_hosts.some(allowed => allowed.toLowerCase() === host)) {
    throw badRequest(`bad webhook: host ${host} is not in webhook_hosts of this consumer in the broker's settings`)
  }
  return url
}

export class WebhookSender {
  private running: Promise<void> | undefined
  private stopped = false
  private failures = 0
  private sleeping: { timer: NodeJS.Timeout, wake: () => void } | undefined
  private abort: AbortController | undefined
  /**
   * The webhook's URL, parsed once rather than per update, and a keep-alive
   * connection to its origin (undici: a third less of the broker's CPU per
   * request than node:http's client in a client-side comparison). One per
   * sender, closed when the URL's origin changes or the sender stops, so a
   * consumer setting many URLs leaves nothing behind.
   */
  private target: { href: string, url: URL, client: Client } | undefined
  lastError: { date: number, message: string } | undefined

  constructor (private readonly queue: UpdateQueue, private readonly respond: ResponseMethod, private readonly log: Logger) {
    queue.onPush = () => { this.kick() }
  }

  /** Starts delivering if there is a webhook and something to send (a backoff in progress runs its course). */
  kick (): void {
    if (this.stopped || this.queue.webhook === undefined) return
    this.running ??= this.loop().finally(() => { this.running = undefined })
  }

  /** A new webhook: forget the failures of the old one and try at once. */
  reset (): void {
    this.failures = 0
    this.lastError = undefined
    this.abort?.abort()
    this.sleeping?.wake()
    this.kick()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.abort?.abort()
    this.sleeping?.wake()
    await this.running
    await this.target?.client.destroy().catch(() => {})
    this.target = undefined
  }

  private async loop (): Promise<void> {
    for (;;) {
      const webhook = this.queue.webhook
      const update = this.queue.first()
      if (this.stopped || webhook === undefined || update === undefined) return
      try {
        await this.deliver(webhook.url, webhook.secret_token, update)
        this.queue.delivered(update.update_id as number)
        this.failures = 0
      } catch (e) {
        if (this.stopped) return
        const message = e instanceof Error ? e.message : String(e)
        this.lastError = { date: Math.floor(Date.now() / 1000), message }
        this.failures++
        const delay = Math.min(BACKOFF_MS.first * 2 ** (this.failures - 1), BACKOFF_MS.max)
        this.log.warn({ err: message, retry_in_ms: delay }, 'webhook delivery failed')
        await this.sleep(delay)
      }
    }
  }

  private async deliver (url: string, secret: string | undefined, update: Record<string, unknown>): Promise<void> {
    if (this.target?.href !== url) {
      const parsed = new URL(url)
      const same = this.target !== undefined && this.target.url.origin === parsed.origin
      if (!same) this.target?.client.destroy().catch(() => {})
      const client = same ? (this.target as { client: Client }).client : new Client(parsed.origin, { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 })
      this.target = { href: url, url: parsed, client }
    }
    const abort = new AbortController()
    this.abort = abort
    const timer = setTimeout(() => { abort.abort() }, DELIVERY_TIMEOUT_MS)
    try {
      const res = await post(this.target.client, this.target.url, secret, updateJson(update), abort.signal)
      if (res.status < 200 || res.status > 299) throw new Error(`Wrong response from the webhook: ${res.status} ${res.statusText}`)
      if (res.text !== undefined && res.text.length > 0) this.runResponse(res.contentType, res.text)
    } finally {
      clearTimeout(timer)
    }
  }

  /** A method in the webhook's answer is run, as Telegram does; its result goes nowhere, a failure to the log. */
  private runResponse (contentType: string | undefined, text: string): void {
    if (contentType?.toLowerCase().startsWith('application/json') !== true) return
    let body: unknown
    try { body = JSON.parse(text) } catch { return }
    if (typeof body !== 'object' || body === null || typeof (body as Record<string, unknown>).method !== 'string') return
    const { method, ...params } = body as Record<string, unknown>
    this.respond(method as string, params).catch((e: unknown) => {
      this.log.warn({ method: boundText(String(method)), err: boundText(e instanceof Error ? e.message : String(e)) }, 'a method in a webhook response failed')
    })
  }

  private async sleep (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const wake = (): void => { clearTimeout(timer); this.sleeping = undefined; resolve() }
      const timer = setTimeout(wake, ms)
      this.sleeping = { timer, wake }
    })
  }
}

interface WebhookAnswer { status: number, statusText: string, contentType: string | undefined, text: string | undefined }

/**
 * POSTs the update (redirects are never followed: undici's request does
 * not). The answer's body is read under the same signal and
 * never past MAX_RESPONSE (text undefined then): a webhook that answers
 * without end must not grow the broker's memory or hold its queue.
 */
async function post (client: Client, target: URL, secret: string | undefined, body: string, signal: AbortSignal): Promise<WebhookAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret
  let res: Dispatcher.ResponseData
  try {
    res = await client.request({ path: target.pathname + target.search, method: 'POST', headers, body, signal })
  } catch (e) {
    throw new Error(signal.aborted ? 'Timeout expired' : `Connection failed: ${connectionError(e)}`)
  }
  const status = res.statusCode
  const type = res.headers['content-type']
  const answer = { status, statusText: http.STATUS_CODES[status] ?? '', contentType: Array.isArray(type) ? type[0] : type }
  if (status < 200 || status > 299) {
    // Not read on: a refusal's body could be endless, and the timeout ends with this answer.
    discard(res.body)
    return { ...answer, text: undefined }
  }
  const parts: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_RESPONSE) {
        discard(res.body)
        return { ...answer, text: undefined }
      }
      parts.push(chunk)
    }
  } catch {
    // A body cut off (or timed out) after a 2xx: delivered, but no method is run from it.
    return { ...answer, text: undefined }
  }
  return { ...answer, text: Buffer.concat(parts, size).toString('utf8') }
}

/**
 * Stops reading a body. undici's body emits 'error' ("Request aborted")
 * when destroyed: without a listener that would be an uncaught exception,
 * which ends the process.
 */
function discard (body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {})
  body.destroy()
}

/** What failed to connect, as node:http would have said it (undici wraps the socket's error). */
function connectionError (e: unknown): string {
  const cause = (e as { cause?: unknown }).cause
  const inner = cause instanceof Error ? cause : e instanceof Error ? e : undefined
  return inner?.message ?? String(e)
}

/**
 * Webhook delivery for one consumer: its queued updates are POSTed to the
 * URL of setWebhook, up to max_connections at once but one at a time per
 * chat, oldest first, so each chat's updates arrive in order; an update
 * leaves the queue only once the webhook answered 2xx. A failure is retried
 * after a backoff (1 s doubling to 60 s) and shown by getWebhookInfo. A
 * method in the response body is executed, as Telegram does. Redirects are
 * not followed: the URL's host is the one settings allow.
 */
import http from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { boundText } from '../log/bound.js'
import type { Logger } from '../log/logger.js'
import type { BotApiConsumerSettings } from '../settings/types.js'
import { badRequest } from './errors.js'
import { chatKeyOf } from './group.js'
import { toUpdate, updateJson, type UpdateQueue } from './queue.js'
import type { QueueEntry, WebhookState } from './queue-file.js'

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

/** Why a delivery was aborted by the sender itself (a new webhook, or stop): not a failure of the webhook. */
const CANCELLED = new Error('cancelled')
/** How far into the queue the sender looks for a chat with nothing on its way (a long backlog of one chat is not scanned whole each time). */
const SCAN_WINDOW = 1000

interface Flight { readonly abort: AbortController, done: Promise<void> }

export class WebhookSender {
  private stopped = false
  private failures = 0
  private sleeping: { timer: NodeJS.Timeout, wake: () => void } | undefined
  /** Deliveries on their way, by chat (group.ts's key): one per chat, at most max_connections in all. */
  private readonly inFlight = new Map<string, Flight>()
  /**
   * The webhook's URL, parsed once rather than per update, and keep-alive
   * connections to its origin (undici: a third less of the broker's CPU per
   * request than node:http's client in a client-side comparison), as many
   * as max_connections. One pool per sender, closed when the URL's origin or
   * max_connections changes or the sender stops, so a consumer setting many
   * URLs leaves nothing behind.
   */
  private target: { href: string, url: URL, connections: number, pool: Pool } | undefined
  lastError: { date: number, message: string } | undefined

  constructor (private readonly queue: UpdateQueue, private readonly respond: ResponseMethod, private readonly log: Logger) {
    queue.onPush = () => { this.kick() }
  }

  /**
   * Starts deliveries if there is a webhook and something to send: the
   * oldest update of each chat that has nothing on its way, oldest first,
   * up to max_connections at once (a backoff in progress runs its course).
   */
  kick (): void {
    if (this.stopped || this.sleeping !== undefined) return
    const webhook = this.queue.webhook
    if (webhook === undefined) return
    const limit = webhook.max_connections
    if (this.inFlight.size >= limit) return
    const entries = this.queue.entries
    const n = Math.min(entries.length, SCAN_WINDOW)
    if (n === 0) return
    // Chats whose oldest update was passed: their later ones wait for it.
    const passed = new Set<string>()
    for (let i = 0; i < n && this.inFlight.size < limit; i++) {
      const entry = entries[i] as QueueEntry
      const key = chatKeyOf(entry)
      if (passed.has(key)) continue
      passed.add(key)
      if (!this.inFlight.has(key)) this.start(webhook, entry, key)
    }
  }

  /** A new webhook: forget the failures of the old one, drop what is on its way, and try at once. */
  reset (): void {
    this.failures = 0
    this.lastError = undefined
    for (const flight of this.inFlight.values()) flight.abort.abort(CANCELLED)
    this.sleeping?.wake()
    this.kick()
  }

  async stop (): Promise<void> {
    this.stopped = true
    for (const flight of this.inFlight.values()) flight.abort.abort(CANCELLED)
    this.sleeping?.wake()
    await Promise.all([...this.inFlight.values()].map(async f => { await f.done }))
    await this.target?.pool.destroy().catch(() => {})
    this.target = undefined
  }

  private start (webhook: WebhookState, entry: QueueEntry, key: string): void {
    const flight: Flight = { abort: new AbortController(), done: Promise.resolve() }
    this.inFlight.set(key, flight)
    flight.done = this.deliver(webhook, toUpdate(entry), flight.abort).then(() => {
      this.queue.delivered(entry)
      this.failures = 0
    }, (e: unknown) => { this.failed(e, flight.abort.signal) }).finally(() => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key)
      this.kick()
    }).catch((e: unknown) => {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'webhook delivery: unexpected failure')
    })
  }

  /**
   * A delivery failed: shown by getWebhookInfo, and no new delivery starts
   * until the backoff ends (1 s doubling to 60 s). Deliveries that fail
   * together (the webhook is down) count as one failure.
   */
  private failed (e: unknown, signal: AbortSignal): void {
    if (this.stopped || signal.reason === CANCELLED) return
    const message = e instanceof Error ? e.message : String(e)
    this.lastError = { date: Math.floor(Date.now() / 1000), message }
    if (this.sleeping !== undefined) return
    this.failures++
    const delay = Math.min(BACKOFF_MS.first * 2 ** (this.failures - 1), BACKOFF_MS.max)
    this.log.warn({ err: message, retry_in_ms: delay }, 'webhook delivery failed')
    const wake = (): void => {
      clearTimeout(timer)
      this.sleeping = undefined
      this.kick()
    }
    const timer = setTimeout(wake, delay)
    this.sleeping = { timer, wake }
  }

  private async deliver (webhook: WebhookState, update: Record<string, unknown>, abort: AbortController): Promise<void> {
    const target = this.targetOf(webhook)
    const timer = setTimeout(() => { abort.abort() }, DELIVERY_TIMEOUT_MS)
    try {
      const res = await post(target.pool, target.url, webhook.secret_token, updateJson(update), abort.signal)
      if (res.status < 200 || res.status > 299) throw new Error(`Wrong response from the webhook: ${res.status} ${res.statusText}`)
      if (res.text !== undefined && res.text.length > 0) this.runResponse(res.contentType, res.text)
    } finally {
      clearTimeout(timer)
    }
  }

  /** The parsed URL and the pool for this webhook, made anew when its origin or max_connections changed. */
  private targetOf (webhook: WebhookState): { url: URL, pool: Pool } {
    const known = this.target
    if (known?.href === webhook.url && known.connections === webhook.max_connections) return known
    const url = new URL(webhook.url)
    if (known !== undefined && known.url.origin === url.origin && known.connections === webhook.max_connections) {
      this.target = { ...known, href: webhook.url, url }
    } else {
      // What is still on its way through the old pool was cancelled by reset().
      known?.pool.destroy().catch(() => {})
      const pool = new Pool(url.origin, { connections: webhook.max_connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 })
      this.target = { href: webhook.url, url, connections: webhook.max_connections, pool }
    }
    return this.target
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
}

interface WebhookAnswer { status: number, statusText: string, contentType: string | undefined, text: string | undefined }

/**
 * POSTs the update (redirects are never followed: undici's request does
 * not). The answer's body is read under the same signal and
 * never past MAX_RESPONSE (text undefined then): a webhook that answers
 * without end must not grow the broker's memory or hold its queue.
 */
async function post (client: Pool, target: URL, secret: string | undefined, body: string, signal: AbortSignal): Promise<WebhookAnswer> {
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

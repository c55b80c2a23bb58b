/**
 * What the toolkit throws. Every error has a stable `code`; Telegram's own
 * errors keep TDLib's numeric code apart from failures of the connection, so
 * a handler can retry exactly what is safe to retry.
 */
import { ClientClosedError, ConnectionLostError, RequestAbortedError, RequestTimeoutError, TdError } from '@tdbroker/client'

export type ToolkitErrorCode =
  | 'TELEGRAM_ERROR' | 'NETWORK_ERROR' | 'TIMEOUT' | 'DIALOG_TIMEOUT' | 'DIALOG_REPLACED'
  | 'QUEUE_FULL' | 'INVALID_DEFINITION' | 'NOT_A_BOT' | 'STOPPED'

export class ToolkitError extends Error {
  override readonly name: string = 'ToolkitError'
  constructor (readonly code: ToolkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Telegram (or TDLib, or the broker) answered the request with an error. */
export class TelegramError extends ToolkitError {
  override readonly name = 'TelegramError'
  /** TDLib's numeric code: 400, 403, 429... */
  readonly tdCode: number
  /** Seconds to wait before retrying (FLOOD_WAIT, 429), when Telegram said so. */
  readonly retryAfter: number | undefined
  constructor (readonly request: string, cause: TdError) {
    super('TELEGRAM_ERROR', `${request} failed: ${cause.code} ${cause.message}`, { cause })
    this.tdCode = cause.code
    this.retryAfter = cause.retryAfter
  }
}

/** The connection to the broker failed under the request: it may or may not have been executed. */
export class NetworkError extends ToolkitError {
  override readonly name = 'NetworkError'
  constructor (readonly request: string, cause: unknown) {
    super('NETWORK_ERROR', `${request} failed on the connection: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/** No answer (or no confirmation from Telegram) within the timeout. */
export class TimeoutError extends ToolkitError {
  override readonly name = 'TimeoutError'
  constructor (readonly request: string, readonly timeoutMs: number, cause?: unknown) {
    super('TIMEOUT', `${request} was not answered within ${timeoutMs} ms`, { cause })
  }
}

/** A dialog's question was not answered within the time its handler set. */
export class DialogTimeoutError extends ToolkitError {
  override readonly name = 'DialogTimeoutError'
  constructor (readonly chatId: number, readonly userId: number | undefined, readonly timeoutMs: number) {
    super('DIALOG_TIMEOUT', `no answer in chat ${chatId} within ${timeoutMs} ms`)
  }
}

/** Runs a request and turns what it throws into the toolkit's typed errors. */
export async function typed<T> (request: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    throw toToolkitError(request, e)
  }
}

export function toToolkitError (request: string, e: unknown): unknown {
  if (e instanceof ToolkitError) return e
  if (e instanceof TdError) return new TelegramError(request, e)
  if (e instanceof RequestTimeoutError) return new TimeoutError(request, e.timeoutMs, e)
  if (e instanceof ConnectionLostError || e instanceof ClientClosedError || e instanceof RequestAbortedError) return new NetworkError(request, e)
  return e
}

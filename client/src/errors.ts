/**
 * What a request can fail with. TDLib's and Telegram's errors and the
 * broker's own refusals arrive the same way (a TDLib `error` object) and
 * become a TdError; the broker's are told apart by their stable name.
 * Failures of the connection itself are other classes, so code can retry
 * exactly what is safe to retry.
 */
import { BROKER_ERROR_NAMES } from './protocol.js'

/** An `error` answer: TDLib's code and message, and the broker's error name when the broker refused. */
export class TdError extends Error {
  override readonly name = 'TdError'
  /** TDLib's numeric code (400, 401, 403, 404, 429, 500...). */
  readonly code: number
  /** The broker's stable error name (`REQUEST_NOT_ALLOWED`...), or undefined for TDLib's own errors. */
  readonly brokerError: string | undefined
  constructor (code: number, message: string) {
    super(message)
    this.code = code
    const prefix = /^([A-Z][A-Z0-9_]*): /.exec(message)?.[1]
    this.brokerError = prefix !== undefined && BROKER_ERROR_NAMES.has(prefix) ? prefix : undefined
  }

  /** Seconds to wait before retrying, when TDLib or the broker says so (429: "retry after N"). */
  get retryAfter (): number | undefined {
    const m = /retry after (\d+)/i.exec(this.message)
    return m === null ? undefined : Number(m[1])
  }
}

/**
 * The connection dropped while the request was in flight. The broker may or
 * may not have executed it; the client never sends it again by itself.
 * `retryable` is true: the caller decides whether sending it again is safe.
 */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError'
  readonly retryable = true
  constructor (readonly requestType: string, reason: string) {
    super(`connection lost before ${requestType} was answered (${reason}); it may or may not have been executed`)
  }
}

/** The request was not answered within its timeout; a late answer is dropped. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError'
  constructor (readonly requestType: string, readonly timeoutMs: number) {
    super(`${requestType} was not answered within ${timeoutMs} ms`)
  }
}

/** The caller's AbortSignal fired; a late answer is dropped. */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError'
  constructor (readonly requestType: string, readonly reason: unknown) {
    super(`${requestType} was aborted`)
  }
}

/** The client is closed (close() was called, or reconnecting gave up). */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError'
  constructor (reason: string) { super(`the client is closed: ${reason}`) }
}

/** An update iterator's buffer overflowed: its consumer is slower than the updates. */
export class UpdateOverflowError extends Error {
  override readonly name = 'UpdateOverflowError'
  constructor (readonly session: string, readonly limit: number) {
    super(`more than ${limit} updates of session ${session} waited for a consumer; the iterator was ended`)
  }
}

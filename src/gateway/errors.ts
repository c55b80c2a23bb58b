/**
 * Errors in the Bot API's form: {"ok":false,"error_code":N,"description":"..."},
 * with parameters.retry_after for flood waits. Descriptions start as
 * Telegram's do ("Bad Request: ", "Forbidden: "...), which frameworks match on.
 */
import { BrokerError } from '../errors.js'
import { isTdError, type TdObject } from '../tdlib/backend.js'

export class BotApiError extends Error {
  constructor (readonly code: number, readonly description: string, readonly retryAfter?: number) { super(description) }

  /** The response body. */
  body (): Record<string, unknown> {
    return {
      ok: false,
      error_code: this.code,
      description: this.description,
      ...(this.retryAfter === undefined ? {} : { parameters: { retry_after: this.retryAfter } })
    }
  }
}

/** 400 with what was wrong. */
export const badRequest = (what: string): BotApiError => new BotApiError(400, `Bad Request: ${what}`)
export const forbidden = (what: string): BotApiError => new BotApiError(403, `Forbidden: ${what}`)

const FLOOD = /^(?:FLOOD_WAIT_(\d+)|Too Many Requests: retry after (\d+))$/

/** A TDLib error answer as the Bot API reports it. */
export function fromTdError (error: TdObject): BotApiError {
  const message = String(error.message ?? 'unknown error')
  const code = Number(error.code)
  const flood = FLOOD.exec(message)
  if (code === 429 || flood !== null) {
    const seconds = Number(flood?.[1] ?? flood?.[2] ?? 1)
    return new BotApiError(429, `Too Many Requests: retry after ${seconds}`, seconds)
  }
  if (code === 403) return forbidden(message)
  if (code === 401) return new BotApiError(401, 'Unauthorized')
  if (code === 404) return new BotApiError(400, `Bad Request: ${message}`)
  return new BotApiError(code >= 400 && code < 500 ? code : 400, `Bad Request: ${message}`)
}

/** Any failure of a method as the Bot API reports it; broker refusals of scope become 403. */
export function toBotApiError (e: unknown): BotApiError {
  if (e instanceof BotApiError) return e
  if (e instanceof BrokerError) {
    // The broker's scope refusals are all 403 (src/errors.ts); they are the Bot API's "Forbidden".
    if (e.code === 403) return forbidden(e.message)
    if (e.errorName === 'SESSION_CLOSED') return new BotApiError(500, `Internal Server Error: ${e.message}`)
    return badRequest(e.message)
  }
  return new BotApiError(500, 'Internal Server Error')
}

/** Throws the Bot API error for a TDLib error answer; returns the answer otherwise. */
export function expectTd (answer: TdObject): TdObject {
  if (isTdError(answer)) throw fromTdError(answer)
  return answer
}

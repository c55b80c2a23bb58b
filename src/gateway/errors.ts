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

/** The start of Telegram's descriptions, by status: "Bad Request: chat not found", "Forbidden: bot was blocked by the user". */
const PREFIXES: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Request Entity Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error'
}

/** "<prefix of code>: <what>", or the prefix alone (Telegram's bare "Unauthorized", "Not Found"). */
export function described (code: number, what?: string): BotApiError {
  const prefix = PREFIXES[code] ?? PREFIXES[code >= 500 ? 500 : 400]
  return new BotApiError(code, what === undefined || what === '' ? prefix as string : `${prefix as string}: ${what}`)
}

/** 400 with what was wrong. */
export const badRequest = (what: string): BotApiError => described(400, what)
export const forbidden = (what: string): BotApiError => described(403, what)

/**
 * A sentence of TDLib's (or the broker's) in Telegram's Bot API words:
 * telegram-bot-api starts TDLib's sentences in lower case ("Chat not found"
 * is "chat not found"); RPC error names stay as they are ("PEER_ID_INVALID").
 */
export function botApiWords (message: string): string {
  if (message === 'Not Found') return 'not found'
  return /^[A-Z](?![A-Z0-9_])/.test(message) ? message[0]!.toLowerCase() + message.slice(1) : message
}

const FLOOD = /^(?:FLOOD_WAIT_(\d+)|Too Many Requests: retry after (\d+))$/

const tooMany = (seconds: number): BotApiError => new BotApiError(429, `Too Many Requests: retry after ${seconds}`, seconds)

/** A TDLib error answer as the Bot API reports it. */
export function fromTdError (error: TdObject): BotApiError {
  const message = String(error.message ?? 'unknown error')
  const code = Number(error.code)
  const flood = FLOOD.exec(message)
  if (code === 429 || flood !== null) return tooMany(Number(flood?.[1] ?? flood?.[2] ?? 1))
  if (code === 401) return described(401)
  // TDLib's 404 (an unknown object) is a 400 in the Bot API; other codes keep theirs, server errors aside.
  const status = code === 403 || (code > 400 && code < 500 && code !== 404) ? code : 400
  return described(status, botApiWords(message))
}

/** Any failure of a method as the Bot API reports it; broker refusals of scope become 403, its rate limits 429. */
export function toBotApiError (e: unknown): BotApiError {
  if (e instanceof BotApiError) return e
  if (e instanceof BrokerError) {
    // The broker's scope refusals are all 403 (src/errors.ts); they are the Bot API's "Forbidden".
    if (e.code === 403) return forbidden(e.message)
    if (e.code === 429) return tooMany(Math.max(1, Math.ceil(Number(e.fields?.retry_after ?? 1))))
    if (e.errorName === 'SESSION_CLOSED' || e.code >= 500) return described(500, e.message)
    return badRequest(e.message)
  }
  return described(500)
}

/** Throws the Bot API error for a TDLib error answer; returns the answer otherwise. */
export function expectTd (answer: TdObject): TdObject {
  if (isTdError(answer)) throw fromTdError(answer)
  return answer
}

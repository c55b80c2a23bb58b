/**
 * Every error the broker itself sends to a client. Each has a stable name
 * (the start of the message, like Telegram's own "PHONE_CODE_INVALID") and a
 * numeric code in TDLib's style. docs/protocol.md documents every entry; a
 * test keeps the two in step.
 */
import type { TdError } from './tdlib/backend.js'

export const BROKER_ERRORS = {
  MALFORMED_JSON: { code: 400, text: 'the line is not a JSON object' },
  MISSING_TYPE: { code: 400, text: 'the object has no string @type' },
  INVALID_REQUEST: { code: 400, text: 'the request is not well formed' },
  INVALID_SESSION_ID: { code: 400, text: 'a session id is a string of decimal digits issued by the broker' },
  MISSING_SESSION: { code: 400, text: 'a TDLib request must name its session in @session' },
  UNKNOWN_CONTROL_REQUEST: { code: 400, text: 'no such broker control request' },
  PEER_INVALID: { code: 400, text: 'the value is not a user or chat id, a username or a phone number' },
  PEER_NOT_FOUND: { code: 400, text: 'no user or chat with that username or phone number is visible to this session' },
  TEXT_PARSE_FAILED: { code: 400, text: 'TDLib could not parse the text as Markdown or HTML' },
  FORMAT_LIMIT_EXCEEDED: { code: 400, text: 'the request carries more format_fields text than the broker parses for one request' },
  FRAME_TOO_DEEP: { code: 400, text: 'objects and arrays in the line are nested deeper than the broker accepts' },
  FRAME_TOO_LARGE: { code: 413, text: 'the line is longer than max_frame_size; the connection is closed' },
  NOT_ATTACHED: { code: 403, text: 'this connection is not attached to that session' },
  REQUEST_NOT_ALLOWED: { code: 403, text: 'the request type is not allowed' },
  REQUEST_RESERVED: { code: 403, text: 'the broker owns this request; clients may never send it' },
  AUTH_REQUIRED: { code: 401, text: 'this broker has a clients list: send broker.authenticate first (or connect with a client certificate)' },
  AUTH_FAILED: { code: 401, text: 'unknown client name or wrong key; the connection is closed' },
  AUTH_RATE_LIMITED: { code: 429, text: 'too many failed authentications from this address; try again later' },
  SESSION_NOT_ALLOWED: { code: 403, text: "the session is outside this client's scope" },
  SESSION_CREATE_NOT_ALLOWED: { code: 403, text: 'this client may not create sessions' },
  CHAT_NOT_ALLOWED: { code: 403, text: "the request names a chat or user outside this client's chats" },
  ANSWER_WITHHELD: { code: 403, text: 'TDLib answered with a type a client limited to some chats may not receive' },
  LAST_SEQ_AHEAD: { code: 400, text: 'last_seq is beyond the latest update of this session' },
  UNKNOWN_SESSION: { code: 404, text: 'no session with that id' },
  SESSION_START_FAILED: { code: 500, text: 'the session could not be started' },
  SESSION_CLOSED: { code: 500, text: 'the session closed before answering' },
  INTERNAL_ERROR: { code: 500, text: 'the broker failed while handling the request; its log has the details' },
  BROKER_SHUTTING_DOWN: { code: 503, text: 'the broker is shutting down' },
  LOCAL_FILE_NOT_ALLOWED: { code: 403, text: "the request names a local file outside this client's local_files" },
  UPLOAD_TOO_LARGE: { code: 413, text: 'the upload is larger than max_upload_size, or the file would grow past max_upload_file_size' },
  UPLOAD_FAILED: { code: 500, text: 'the broker could not write the upload' },
  TOO_MANY_UPLOADS: { code: 429, text: 'this connection has too many uploads being written' },
  READ_TOO_LARGE: { code: 413, text: 'the read asks for more than max_read_size bytes' },
  TOO_MANY_CONNECTIONS: { code: 503, text: 'the broker has max_connections open connections; the connection is closed' },
  TOO_MANY_CONNECTIONS_PER_ADDRESS: { code: 429, text: 'this address has max_connections_per_address open connections; the connection is closed' },
  AUTH_TIMEOUT: { code: 408, text: 'the connection did not authenticate within auth_timeout; it is closed' },
  IDLE_TIMEOUT: { code: 408, text: 'the connection was attached to no session and sent nothing for idle_timeout; it is closed' },
  RATE_LIMITED: { code: 429, text: "the client is over its scope's rate_limit; retry after retry_after seconds" },
  FLOOD_WAIT_GUARDED: { code: 429, text: 'Too Many Requests: the session is under a FLOOD_WAIT for this request type (flood_wait_guard); retry after retry_after seconds' },
} as const

export type BrokerErrorName = keyof typeof BROKER_ERRORS

/** A broker error as a value that code can throw and the protocol can send. */
export class BrokerError extends Error {
  readonly errorName: BrokerErrorName
  readonly code: number
  /** Extra fields of the error object on the wire (e.g. retry_after for 429s). */
  readonly fields: Readonly<Record<string, number | string>> | undefined
  constructor (name: BrokerErrorName, detail?: string, fields?: Readonly<Record<string, number | string>>) {
    super(`${name}: ${detail ?? BROKER_ERRORS[name].text}`)
    this.errorName = name
    this.code = BROKER_ERRORS[name].code
    this.fields = fields
  }

  /** The TDLib-shaped error object sent on the wire. */
  toTd (): TdError {
    return { ...this.fields, '@type': 'error', code: this.code, message: this.message }
  }
}

/**
 * The parts of tdbroker's wire protocol (docs/protocol.md) the client needs:
 * the broker's error names and the shapes of its control answers and notices.
 * A broker test checks this list against the broker's own error registry.
 */

/** Every error name the broker itself sends (`NAME: detail`). */
export const BROKER_ERROR_NAMES: ReadonlySet<string> = new Set([
  'MALFORMED_JSON', 'MISSING_TYPE', 'INVALID_REQUEST', 'INVALID_SESSION_ID', 'MISSING_SESSION',
  'UNKNOWN_CONTROL_REQUEST', 'PEER_INVALID', 'PEER_NOT_FOUND', 'TEXT_PARSE_FAILED', 'FRAME_TOO_LARGE',
  'FORMAT_LIMIT_EXCEEDED', 'FRAME_TOO_DEEP', 'NOT_ATTACHED', 'REQUEST_NOT_ALLOWED', 'REQUEST_RESERVED', 'AUTH_REQUIRED', 'AUTH_FAILED',
  'AUTH_RATE_LIMITED', 'SESSION_NOT_ALLOWED', 'SESSION_CREATE_NOT_ALLOWED', 'CHAT_NOT_ALLOWED',
  'LAST_SEQ_AHEAD', 'UNKNOWN_SESSION', 'SESSION_START_FAILED', 'SESSION_CLOSED', 'BROKER_SHUTTING_DOWN',
  'LOCAL_FILE_NOT_ALLOWED', 'UPLOAD_TOO_LARGE', 'TOO_MANY_UPLOADS', 'READ_TOO_LARGE', 'ANSWER_WITHHELD',
  'TOO_MANY_CONNECTIONS', 'TOO_MANY_CONNECTIONS_PER_ADDRESS', 'AUTH_TIMEOUT', 'IDLE_TIMEOUT',
  'RATE_LIMITED', 'FLOOD_WAIT_GUARDED', 'UPLOAD_FAILED', 'INTERNAL_ERROR'
])

/** A JSON object on the wire. */
export type WireObject = Record<string, unknown> & { '@type': string }

/** broker.listSessions' entries. */
export interface SessionInfo {
  session: string
  state: 'stopped' | 'starting' | 'running' | 'stopping'
  clients: number
  attached: boolean
  authorization_state: string | null
}

/** How a resume went (broker.attached's `resume`). */
export interface ResumeInfo {
  complete: boolean
  first_available_seq: number
  replayed: number
}

/** broker.version. */
export interface BrokerVersion {
  version: string
  protocol_version: number
  tdlib_version: string
  backend: 'tdlib' | 'sandbox'
}

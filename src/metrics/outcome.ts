/**
 * What became of a request, as the `outcome` label of
 * tdbroker_requests_total: a small fixed set, whatever the error.
 */
import { BrokerError, type BrokerErrorName } from '../errors.js'
import { isTdError, type TdObject } from '../tdlib/backend.js'

export const OUTCOMES = ['answered', 'refused_whitelist', 'refused_scope', 'rate_limited', 'flood_wait', 'tdlib_error', 'broker_error'] as const
export type Outcome = typeof OUTCOMES[number]

const BY_ERROR: Partial<Record<BrokerErrorName, Outcome>> = {
  REQUEST_NOT_ALLOWED: 'refused_whitelist',
  REQUEST_RESERVED: 'refused_whitelist',
  SESSION_NOT_ALLOWED: 'refused_scope',
  SESSION_CREATE_NOT_ALLOWED: 'refused_scope',
  CHAT_NOT_ALLOWED: 'refused_scope',
  LOCAL_FILE_NOT_ALLOWED: 'refused_scope',
  ANSWER_WITHHELD: 'refused_scope',
  RATE_LIMITED: 'rate_limited',
  FLOOD_WAIT_GUARDED: 'flood_wait',
}

/** The outcome of an answer TDLib (or a step) gave. */
export function answerOutcome (answer: TdObject): Outcome {
  if (!isTdError(answer)) return 'answered'
  return answer.code === 429 ? 'flood_wait' : 'tdlib_error'
}

/** The outcome of a request that ended in a thrown error. */
export function errorOutcome (e: unknown): Outcome {
  return e instanceof BrokerError ? BY_ERROR[e.errorName] ?? 'broker_error' : 'broker_error'
}

/** Disconnect reasons as Connection.close is given them, and their label; anything else is "other". */
const DISCONNECTS: Readonly<Record<string, string>> = {
  'socket closed': 'peer_closed',
  'websocket closed': 'peer_closed',
  'client finished sending': 'peer_finished',
  'output queue overflow': 'slow_client',
  'frame too large': 'frame_too_large',
  'internal error': 'internal_error',
  'authentication failed': 'auth_failed',
  'authentication deadline passed': 'auth_timeout',
  'idle timeout': 'idle_timeout',
}

export const DISCONNECT_REASONS = [...new Set(Object.values(DISCONNECTS)), 'shutdown', 'revoked', 'other']

/** The bounded label for a close reason (`shuttingDown`: the broker is stopping; `revoked`: a reload took the client away). */
export function disconnectReason (reason: string, shuttingDown: boolean, revoked: boolean): string {
  if (revoked) return 'revoked'
  return DISCONNECTS[reason] ?? (shuttingDown ? 'shutdown' : 'other')
}

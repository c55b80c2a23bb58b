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

/** An outcome's position in OUTCOMES: how the counters are indexed. */
export const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>
const ANSWERED = OUTCOME_INDEX.answered
const FLOOD_WAIT = OUTCOME_INDEX.flood_wait
const TDLIB_ERROR = OUTCOME_INDEX.tdlib_error

/** The outcome of an answer TDLib (or a step) gave, as its index in OUTCOMES. */
export function answerOutcomeIndex (answer: TdObject): number {
  if (!isTdError(answer)) return ANSWERED
  return answer.code === 429 ? FLOOD_WAIT : TDLIB_ERROR
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

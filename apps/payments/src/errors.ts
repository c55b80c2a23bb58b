/**
 * The app's errors, each with a stable code. Telegram's and the broker's own
 * errors are not wrapped: they keep their own types (TdError from
 * @tdbroker/client, GrammyError from grammY) and codes.
 */
export const PAYMENTS_ERRORS = {
  CONFIG_INVALID: 'the settings file or the environment is not valid (the message lists every problem)',
  STATE_INVALID: 'the state file cannot be read as the app wrote it: move it aside or fix it',
  ACCOUNT_NOT_READY: 'the account session is not logged in: log it in first (tdbroker-payments login)',
  CAPACITY: 'max_customers or max_payments is reached: raise it in the settings',
  CLOSED: 'the app is stopping or stopped'
} as const

export type PaymentsErrorCode = keyof typeof PAYMENTS_ERRORS

export class PaymentsError extends Error {
  constructor (readonly code: PaymentsErrorCode, message: string) {
    super(`${code}: ${message}`)
    this.name = 'PaymentsError'
  }
}

/**
 * @tdbroker/app-payments: seed 000's payments group on tdbroker. See
 * apps/payments/README.md.
 */
export { PaymentsApp, type AppState } from './app.js'
export { Account } from './account.js'
export { Backend, BACKEND_UPDATES, type BackendEvents } from './backend.js'
export { OperatorFeed, type FeedMessage } from './operator-feed.js'
export { configFromObject, loadConfig, ENV, type PaymentsConfig, type Operator } from './config.js'
export { State, type Customer, type Payment } from './state.js'
export { PaymentsError, PAYMENTS_ERRORS, type PaymentsErrorCode } from './errors.js'
export { TEXTS } from './texts.js'
export { stderrLog, silentLog, type Log, type Level } from './log.js'

/**
 * @tdbroker/app-support-desk: a support desk on tdbroker. Customers write to
 * a bot and choose a department; staff answer from their own Telegram
 * accounts. See README.md.
 */
export { startDesk, type RunningDesk, type StartOptions } from './app.js'
export { parseConfig, loadConfig, type DeskConfig } from './config.js'
export { Desk, type StaffMember, type DeskLog } from './desk.js'
export type { Bridge, DeskPort, ConversationEvent } from './bridge.js'
export { TelegramStaffBridge } from './telegram-staff.js'
export { DeskStore, type Conversation, type StoredMessage, type Author } from './store.js'
export { DEPARTMENTS, type DepartmentId } from './departments.js'
export { DeskError, type DeskErrorCode } from './errors.js'

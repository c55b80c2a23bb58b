/**
 * @tdbroker/toolkit: bots and accounts on a tdbroker session. One state
 * machine per chat, commands with parameters and privileges, privilege
 * groups, dialogs, buttons, auto-delete, timers and notifications. See
 * toolkit/README.md.
 */
export { Toolkit, type ToolkitOptions, type ToolkitMessages } from './toolkit.js'
export { ChatContext, type SendOptions, type AskOptions } from './context.js'
export type { CommandDefinition, Refusal, RefusalHook } from './commands.js'
export type { StateDefinition, States, Next, IncomingMessage, ButtonPress } from './machine.js'
export type { Answer } from './dialogs.js'
export type { Sent, Button, Buttons, TextInput, Message, FormattedText } from './telegram.js'
export type { DeliveryReport, NotificationOptions } from './notifications.js'
export { ToolkitError, TelegramError, NetworkError, TimeoutError, DialogTimeoutError, type ToolkitErrorCode } from './errors.js'
export { parseCommand, splitArgs, PRIVILEGE_NAME, COMMAND_NAME, GROUP_NAME } from './parse.js'
export { ADMIN_GROUP } from './store.js'

/**
 * What `tdbroker start` runs with when there is no settings file: the schema
 * defaults plus just enough to try the broker out (log in, look yourself up,
 * send a message, and the TDLib test requests that work without a network).
 * The README quotes these constants; import them rather than repeating them.
 * load.ts turns them into Settings (embeddedDefaults).
 */

/** siptg's documented internal port, so the README's examples can name one. */
export const EMBEDDED_PORT = 23456

/** Where sessions live without a settings file, relative to the working directory. */
export const EMBEDDED_TDLIB_PATH = 'storage/sessions'

/**
 * The same with the sandbox backend (`start --sandbox`): emulated sessions
 * are kept apart from real ones, so a broker on real TDLib never lists them.
 */
export const EMBEDDED_SANDBOX_TDLIB_PATH = 'storage/sandbox-sessions'

/** tdlib.path's default with the sandbox backend when a settings file does not set it (the schema's is "sessions"). */
export const SANDBOX_TDLIB_PATH = 'sandbox-sessions'

/** The authentication requests that siptg's example settings allow. */
export const SIPTG_AUTH_REQUESTS: readonly string[] = Object.freeze([
  'setAuthenticationPhoneNumber',
  'checkAuthenticationCode',
  'checkAuthenticationPassword',
  'recoverAuthenticationPassword',
  'requestAuthenticationPasswordRecovery',
  'checkAuthenticationBotToken',
  'requestQrCodeAuthentication',
  'setAuthenticationEmailAddress',
  'checkAuthenticationEmailCode',
  'logOut',
])

export const EMBEDDED_ALLOWED_REQUESTS: readonly string[] = Object.freeze([
  ...SIPTG_AUTH_REQUESTS,
  'getMe',
  'getUser',
  'getChat',
  'getChats',
  'sendMessage',
  'searchPublicChat',
  'searchUserByPhoneNumber',
  'createPrivateChat',
  'getOption',
  // TDLib answers these itself, without Telegram: a client can test its wiring offline.
  'testSquareInt',
  'testCallString',
  'testCallEmpty',
  'testReturnError',
])

export const EMBEDDED_ALLOWED_UPDATES: readonly string[] = Object.freeze([
  'updateNewMessage',
  'updateMessageSendSucceeded',
  'updateUser',
  'updateNewCallbackQuery',
  'updateCall',
])

/** Like siptg's example: usernames and phone numbers work where ids are expected. */
export const EMBEDDED_REQUEST_PEERS: Readonly<Record<string, string>> = Object.freeze({
  sendMessage: 'chat_id',
  getUser: 'user_id',
  getChat: 'chat_id',
  createPrivateChat: 'user_id'
})

/** Like siptg's example: plain message text is parsed as Markdown. */
export const EMBEDDED_FORMAT_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  inputMessageText: 'text'
})

/** The embedded settings for the sandbox backend: the same, with sessions in their own folder. */
export const EMBEDDED_SANDBOX_SETTINGS_JSON = Object.freeze({
  port: EMBEDDED_PORT,
  tdlib: Object.freeze({ path: EMBEDDED_SANDBOX_TDLIB_PATH, backend: 'sandbox' }),
  allowed_requests: EMBEDDED_ALLOWED_REQUESTS,
  allowed_updates: EMBEDDED_ALLOWED_UPDATES,
  request_peers: EMBEDDED_REQUEST_PEERS,
  format_fields: EMBEDDED_FORMAT_FIELDS,
})

/** The embedded settings as a settings.json would spell them; everything else is a schema default. */
export const EMBEDDED_SETTINGS_JSON = Object.freeze({
  port: EMBEDDED_PORT,
  tdlib: Object.freeze({ path: EMBEDDED_TDLIB_PATH }),
  allowed_requests: EMBEDDED_ALLOWED_REQUESTS,
  allowed_updates: EMBEDDED_ALLOWED_UPDATES,
  request_peers: EMBEDDED_REQUEST_PEERS,
  format_fields: EMBEDDED_FORMAT_FIELDS,
})

/**
 * Authorization, TDLib's state machine: WaitTdlibParameters -> WaitPhoneNumber
 * -> [WaitEmailAddress -> WaitEmailCode] -> WaitCode -> [WaitPassword |
 * WaitRegistration] -> Ready; bot tokens and QR codes as the other ways in;
 * LoggingOut / Closing / Closed on the way out.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ok, fail, str, typeOf, type Td, type Tl } from './td.js'
import type { AuthState, SandboxClient } from './client.js'
import type { ClientCtx, OpenHandlers, ReadyHandlers } from './dispatch.js'
import { SERVICE_USER_ID } from './seed.js'
import type { Account } from './model.js'
import { announceMessage, storeMessage, textContent } from './delivery.js'
import { normalizePhone, type World } from './world.js'

/** States in which a new phone number (or bot token, or QR request) may start over. */
const LOGIN_STATES: readonly AuthState[] = [
  'waitPhoneNumber', 'waitEmailAddress', 'waitEmailCode', 'waitCode', 'waitRegistration', 'waitPassword',
  'waitOtherDeviceConfirmation',
]

function expect (client: SandboxClient, method: string, states: readonly AuthState[]): void {
  if (!states.includes(client.state)) fail(400, `Call to ${method} unexpected`)
}

function attempt (client: SandboxClient, method: string): NonNullable<SandboxClient['login']> {
  const login = client.login
  if (login === undefined) return fail(400, `Call to ${method} unexpected`)
  return login
}

function dropQrToken (world: World, client: SandboxClient): void {
  if (client.qrToken !== undefined) world.qrLogins.delete(client.qrToken)
  client.qrToken = undefined
}

function maskEmail (email: string): string {
  const [name = '', domain = ''] = email.split('@')
  return `${name.slice(0, 1)}***@${domain}`
}

/** Like Telegram: the code arrives as a message from "Telegram" (777000) in the account's other sessions. */
function deliverLoginCode (world: World, account: Account): void {
  const text = `Login code: ${account.loginCode}. Do not give this code to anyone, even if they say they are from Telegram!\n\n` +
    'This code can be used to log in to your Telegram account. We never ask it for anything else.\n\n' +
    'If you didn\'t request this code by trying to log in on another device, simply ignore this message.'
  const conv = world.privateConversation(SERVICE_USER_ID, account.id)
  announceMessage(world, storeMessage(world, conv, { senderId: SERVICE_USER_ID, content: textContent(text) }))
}

function sendCode ({ world, client }: ClientCtx): void {
  const login = client.login!
  const account = world.accounts.get(login.accountId)
  const code = account?.loginCode ?? world.defaultLoginCode
  const inApp = account !== undefined && account.devices.size > 0
  if (inApp) deliverLoginCode(world, account)
  const type: Td<Tl.AuthenticationCodeType> = inApp
    ? { '@type': 'authenticationCodeTypeTelegramMessage', length: code.length }
    : { '@type': 'authenticationCodeTypeSms', length: code.length }
  client.setAuthState({
    '@type': 'authorizationStateWaitCode',
    code_info: { '@type': 'authenticationCodeInfo', phone_number: `+${login.phone}`, type, timeout: 0 },
  })
}

function askPassword (client: SandboxClient, account: Account): void {
  client.login = { phone: account.phone, accountId: account.id }
  client.setAuthState({
    '@type': 'authorizationStateWaitPassword',
    password_hint: account.passwordHint,
    has_recovery_email_address: false,
    has_passport_data: false,
    recovery_email_address_pattern: '',
  })
}

const TERMS_OF_SERVICE = 'These are the terms of service of the tdbroker sandbox: nothing here is real.'

export const authHandlers: OpenHandlers = {
  setTdlibParameters: ({ world, client }, req) => {
    if (client.state !== 'waitTdlibParameters' || client.device !== undefined) fail(400, 'Call to setTdlibParameters unexpected')
    const device = world.device(client.directory)
    if (device.holder !== undefined && device.holder !== client) {
      fail(400, `Can't lock file "${join(device.directory, 'td.binlog')}", because it is already in use by current program`)
    }
    device.holder = client
    client.app = {
      apiId: typeof req.api_id === 'number' ? req.api_id : 0,
      applicationVersion: str(req.application_version),
      deviceModel: str(req.device_model),
      systemVersion: str(req.system_version),
    }
    client.attach(device)
    return ok()
  },

  setAuthenticationPhoneNumber: (ctx, req) => {
    const { world, client } = ctx
    expect(client, 'setAuthenticationPhoneNumber', LOGIN_STATES)
    const phone = normalizePhone(str(req.phone_number))
    if (phone === undefined) fail(400, 'PHONE_NUMBER_INVALID')
    const account = world.accountByPhone(phone)
    dropQrToken(world, client)
    client.login = { phone, accountId: account?.id ?? 0 }
    if (account !== undefined && account.needsEmail && account.emailAddress === undefined) {
      client.setAuthState({ '@type': 'authorizationStateWaitEmailAddress', allow_apple_id: false, allow_google_id: false })
    } else {
      sendCode(ctx)
    }
    return ok()
  },

  resendAuthenticationCode: (ctx) => {
    expect(ctx.client, 'resendAuthenticationCode', ['waitCode'])
    sendCode(ctx)
    return ok()
  },

  setAuthenticationEmailAddress: ({ world, client }, req) => {
    expect(client, 'setAuthenticationEmailAddress', ['waitEmailAddress', 'waitEmailCode'])
    const login = attempt(client, 'setAuthenticationEmailAddress')
    const email = str(req.email_address).trim()
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) fail(400, 'EMAIL_INVALID')
    login.email = email
    const account = world.accounts.get(login.accountId)
    client.setAuthState({
      '@type': 'authorizationStateWaitEmailCode',
      allow_apple_id: false,
      allow_google_id: false,
      code_info: {
        '@type': 'emailAddressAuthenticationCodeInfo',
        email_address_pattern: maskEmail(email),
        length: (account?.emailCode ?? world.defaultEmailCode).length,
      },
    })
    return ok()
  },

  checkAuthenticationEmailCode: (ctx, req) => {
    const { world, client } = ctx
    expect(client, 'checkAuthenticationEmailCode', ['waitEmailCode'])
    const login = attempt(client, 'checkAuthenticationEmailCode')
    const code = req.code
    if (typeOf(code) !== 'emailAddressAuthenticationCode') fail(400, 'Only emailAddressAuthenticationCode is available in the sandbox')
    const account = world.accounts.get(login.accountId)
    const given = code?.['@type'] === 'emailAddressAuthenticationCode' ? str(code.code) : ''
    if (given === '') fail(400, 'EMAIL_CODE_EMPTY')
    if (given !== (account?.emailCode ?? world.defaultEmailCode)) fail(400, 'EMAIL_CODE_INVALID')
    if (account !== undefined && login.email !== undefined) account.emailAddress = login.email
    sendCode(ctx)
    return ok()
  },

  checkAuthenticationCode: ({ world, client }, req) => {
    expect(client, 'checkAuthenticationCode', ['waitCode'])
    const login = attempt(client, 'checkAuthenticationCode')
    const code = str(req.code)
    if (code === '') fail(400, 'PHONE_CODE_EMPTY')
    const account = world.accounts.get(login.accountId)
    if (code !== (account?.loginCode ?? world.defaultLoginCode)) fail(400, 'PHONE_CODE_INVALID')
    if (account === undefined) {
      client.setAuthState({
        '@type': 'authorizationStateWaitRegistration',
        terms_of_service: {
          '@type': 'termsOfService',
          text: { '@type': 'formattedText', text: TERMS_OF_SERVICE, entities: [] },
          min_user_age: 0,
          show_popup: false,
        },
      })
    } else if (account.password !== undefined) {
      askPassword(client, account)
    } else {
      client.becomeReady(account)
    }
    return ok()
  },

  checkAuthenticationPassword: ({ world, client }, req) => {
    expect(client, 'checkAuthenticationPassword', ['waitPassword'])
    const account = world.accounts.get(attempt(client, 'checkAuthenticationPassword').accountId)
    if (account === undefined) return fail(400, 'Call to checkAuthenticationPassword unexpected')
    if (str(req.password) !== account.password) fail(400, 'PASSWORD_HASH_INVALID')
    client.becomeReady(account)
    return ok()
  },

  registerUser: ({ world, client }, req) => {
    expect(client, 'registerUser', ['waitRegistration'])
    const login = attempt(client, 'registerUser')
    const firstName = str(req.first_name).trim()
    if (firstName === '' || firstName.length > 64) fail(400, 'FIRSTNAME_INVALID')
    const lastName = str(req.last_name).trim()
    if (lastName.length > 64) fail(400, 'LASTNAME_INVALID')
    if (world.accountByPhone(login.phone) !== undefined) fail(400, 'PHONE_NUMBER_OCCUPIED')
    client.becomeReady(world.registerUser(login.phone, firstName, lastName))
    return ok()
  },

  checkAuthenticationBotToken: ({ world, client }, req) => {
    expect(client, 'checkAuthenticationBotToken', LOGIN_STATES)
    const bot = world.botByToken(str(req.token))
    if (bot === undefined) fail(400, 'ACCESS_TOKEN_INVALID')
    dropQrToken(world, client)
    client.becomeReady(bot)
    return ok()
  },

  requestQrCodeAuthentication: ({ world, client }) => {
    expect(client, 'requestQrCodeAuthentication', LOGIN_STATES)
    dropQrToken(world, client)
    const token = randomBytes(24).toString('base64url')
    world.qrLogins.set(token, client)
    client.qrToken = token
    client.login = undefined
    client.setAuthState({ '@type': 'authorizationStateWaitOtherDeviceConfirmation', link: `tg://login?token=${token}` })
    return ok()
  },

  logOut: ({ client }) => {
    client.shutDown('logOut')
    return ok()
  },

  close: ({ client }) => {
    client.shutDown('close')
    return ok()
  },

  destroy: ({ client }) => {
    client.shutDown('destroy')
    return ok()
  },
}

let sessionSeq = 0n

/** confirmQrCodeAuthentication: a logged-in session approves a QR login of the same account. */
export const qrConfirmHandlers: ReadyHandlers = {
  confirmQrCodeAuthentication: ({ world, me }, req) => {
    const match = /^tg:\/\/login\?token=([A-Za-z0-9_-]+)$/.exec(str(req.link))
    if (match === null) fail(400, 'AUTH_TOKEN_INVALID')
    if (me.isBot) fail(400, 'BOT_METHOD_INVALID')
    const target = world.qrLogins.get(match[1]!)
    if (target === undefined || target.state !== 'waitOtherDeviceConfirmation') fail(400, 'AUTH_TOKEN_EXPIRED')
    world.qrLogins.delete(match[1]!)
    target.qrToken = undefined
    world.serverSide(() => {
      if (target.state !== 'waitOtherDeviceConfirmation') return
      if (me.password !== undefined) askPassword(target, me)
      else target.becomeReady(me)
    })
    const now = world.now()
    sessionSeq += 1n
    return {
      '@type': 'session',
      id: (1_000_000_000_000n + sessionSeq).toString(),
      is_current: false,
      is_password_pending: me.password !== undefined,
      is_unconfirmed: false,
      can_accept_secret_chats: true,
      can_accept_calls: true,
      device_type: { '@type': 'sessionDeviceTypeUnknown' },
      api_id: target.app.apiId,
      application_name: 'tdbroker sandbox',
      application_version: target.app.applicationVersion,
      is_official_application: false,
      device_model: target.app.deviceModel,
      platform: '',
      system_version: target.app.systemVersion,
      log_in_date: now,
      last_active_date: now,
      ip_address: '127.0.0.1',
      location: 'Sandbox',
    }
  },
}

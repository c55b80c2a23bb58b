/**
 * Logging a session in, driven by its authorization state, with callbacks
 * for what only a person knows (as tdl's login() does): phone number, code,
 * 2FA password, name for a new account, e-mail; or a bot token. A wrong
 * code or password is asked for again, telling the callback it is a retry.
 */
import { TdError } from './errors.js'
import type { WireObject } from './protocol.js'
import type { BrokerSession } from './session.js'

export interface UserLoginDetails {
  type?: 'user'
  getPhoneNumber: (retry: boolean) => string | Promise<string>
  getAuthCode: (retry: boolean) => string | Promise<string>
  getPassword?: (hint: string, retry: boolean) => string | Promise<string>
  getName?: () => { firstName: string, lastName?: string } | Promise<{ firstName: string, lastName?: string }>
  getEmailAddress?: () => string | Promise<string>
  getEmailCode?: (retry: boolean) => string | Promise<string>
  /** Log in by QR code instead of a phone number: called with each tg://login link to show. */
  onQrLink?: (link: string) => void
}

export interface BotLoginDetails {
  type: 'bot'
  getToken: (retry: boolean) => string | Promise<string>
}

export type LoginDetails = UserLoginDetails | BotLoginDetails

/** Logs the session in; resolves once it is authorizationStateReady (at once if it already is). */
export async function login (session: BrokerSession, details: LoginDetails, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let retry = { phone: false, code: false, password: false, email: false, token: false }
  let handled: string | undefined
  for (;;) {
    const state = session.authorizationState ?? await currentState(session, deadline)
    const type = state['@type']
    if (type === 'authorizationStateReady') return
    if (type === 'authorizationStateClosed' || type === 'authorizationStateLoggingOut' || type === 'authorizationStateClosing') {
      throw new Error(`session ${session.id} cannot log in: it is ${type}`)
    }
    if (type === handled) {
      // Same state as the step just answered without an error: wait for the next one.
      await nextState(session, type, deadline)
      handled = undefined
      continue
    }
    try {
      await step(session, details, state, retry)
      handled = type
    } catch (e) {
      if (!(e instanceof TdError) || e.code !== 400 || e.brokerError !== undefined) throw e
      // A wrong value: ask again, marked as a retry.
      retry = { ...retry, ...retryFor(type) }
      handled = undefined
    }
  }
}

function retryFor (type: string): Partial<Record<'phone' | 'code' | 'password' | 'email' | 'token', boolean>> {
  switch (type) {
    case 'authorizationStateWaitPhoneNumber': return { phone: true, token: true }
    case 'authorizationStateWaitCode': return { code: true }
    case 'authorizationStateWaitPassword': return { password: true }
    case 'authorizationStateWaitEmailCode': return { email: true }
    default: return {}
  }
}

async function step (session: BrokerSession, details: LoginDetails, state: WireObject, retry: Record<string, boolean>): Promise<void> {
  const send = async (request: WireObject): Promise<void> => { await session.invoke(request as never) }
  switch (state['@type']) {
    case 'authorizationStateWaitPhoneNumber':
      if (details.type === 'bot') return await send({ '@type': 'checkAuthenticationBotToken', token: await details.getToken(retry.token === true) })
      if (details.onQrLink !== undefined) return await send({ '@type': 'requestQrCodeAuthentication', other_user_ids: [] })
      return await send({ '@type': 'setAuthenticationPhoneNumber', phone_number: await details.getPhoneNumber(retry.phone === true) })
    case 'authorizationStateWaitOtherDeviceConfirmation':
      if (details.type !== 'bot') details.onQrLink?.(String(state.link))
      return
    case 'authorizationStateWaitCode':
      if (details.type === 'bot') throw new Error('a bot login was asked for a code')
      return await send({ '@type': 'checkAuthenticationCode', code: await details.getAuthCode(retry.code === true) })
    case 'authorizationStateWaitPassword': {
      if (details.type === 'bot' || details.getPassword === undefined) throw new Error(`session ${session.id} has two-step verification: give getPassword`)
      return await send({ '@type': 'checkAuthenticationPassword', password: await details.getPassword(String(state.password_hint ?? ''), retry.password === true) })
    }
    case 'authorizationStateWaitRegistration': {
      if (details.type === 'bot' || details.getName === undefined) throw new Error('the phone number has no account yet: give getName to register one')
      const name = await details.getName()
      return await send({ '@type': 'registerUser', first_name: name.firstName, last_name: name.lastName ?? '', disable_notification: false })
    }
    case 'authorizationStateWaitEmailAddress':
      if (details.type === 'bot' || details.getEmailAddress === undefined) throw new Error('Telegram asks for an e-mail address: give getEmailAddress')
      return await send({ '@type': 'setAuthenticationEmailAddress', email_address: await details.getEmailAddress() })
    case 'authorizationStateWaitEmailCode':
      if (details.type === 'bot' || details.getEmailCode === undefined) throw new Error('Telegram sent a code by e-mail: give getEmailCode')
      return await send({ '@type': 'checkAuthenticationEmailCode', code: { '@type': 'emailAddressAuthenticationCode', code: await details.getEmailCode(retry.email === true) } })
    case 'authorizationStateWaitTdlibParameters':
      throw new Error('the broker has no api_id/api_hash for this session (authorizationStateWaitTdlibParameters): set them in its settings')
    default:
      throw new Error(`unexpected authorization state ${state['@type']}`)
  }
}

async function currentState (session: BrokerSession, deadline: number): Promise<WireObject> {
  const state = await session.invoke({ '@type': 'getAuthorizationState' } as never) as unknown as WireObject
  if (Date.now() > deadline) throw new Error('login timed out')
  return state
}

async function nextState (session: BrokerSession, after: string, deadline: number): Promise<void> {
  await session.waitFor(u => u['@type'] === 'updateAuthorizationState' && (u as unknown as { authorization_state: WireObject }).authorization_state['@type'] !== after,
    Math.max(1, deadline - Date.now()))
}

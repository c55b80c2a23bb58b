/**
 * Login codes in logged updates (debug_level 6): Telegram sends the code as a
 * message from its service account 777000 to the account's other sessions.
 * On the sandbox, a second login of the same account produces exactly that.
 * Updates outside allowed_updates are logged by type only, marked filtered.
 */
import t, { type Test } from 'tap'
import { startBroker, type TestBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { redactSecrets } from '../../src/log/redact.js'

const PHONE = '+1 555 000 1001'
const LOGIN = ['setAuthenticationPhoneNumber', 'checkAuthenticationCode']

const authState = (session: string, state: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === state

async function login (c: TestClient, session: string, code: string): Promise<void> {
  await c.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'))
  await c.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: PHONE, '@session': session })
  await c.waitFor(authState(session, 'authorizationStateWaitCode'))
  await c.request({ '@type': 'checkAuthenticationCode', code, '@session': session })
  await c.waitFor(authState(session, 'authorizationStateReady'))
}

/** Logs the account in twice; the first session receives the code of the second login from 777000. */
async function secondLogin (b: TestBroker, t: Test): Promise<{ first: string, code: string }> {
  const code = (b.backend as SandboxBackend).world.loginCode(PHONE)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const first = await c.createSession()
  await login(c, first, code)
  const second = await c.createSession()
  await login(c, second, code)
  // The service message reaches the first session's log before the second session is ready.
  t.ok(b.logs.find(r => r.msg === 'update' && r.session === first && (r.type === 'updateNewMessage' || (r.update as Msg | undefined)?.['@type'] === 'updateNewMessage')), 'the service message was logged')
  return { first, code }
}

const clear = (code: string): RegExp => new RegExp(`(?<![0-9])${code}(?![0-9])`)

t.test('an update outside allowed_updates is logged by type only, marked filtered', async t => {
  const b = await startBroker({ debug_level: 6, allowed_requests: LOGIN, allowed_updates: ['updateMessageSendSucceeded'], tdlib: { backend: 'sandbox' } })
  t.teardown(b.stop)
  const { first, code } = await secondLogin(b, t)
  const lines = b.logs.records.filter(r => r.msg === 'update' && r.session === first)
  const service = lines.filter(r => r.type === 'updateNewMessage' || r.type === 'updateChatLastMessage')
  t.ok(service.length >= 2, 'updateNewMessage and updateChatLastMessage are logged')
  t.ok(service.every(r => r.filtered === true && r.update === undefined), '…as filtered, without their content')
  t.ok(lines.some(r => r.filtered === undefined && (r.update as Msg)['@type'] === 'updateAuthorizationState'), 'updates every client receives keep their content')
  t.notMatch(JSON.stringify(b.logs.records), clear(code), 'the login code is nowhere in the log')
})

t.test('a service message in allowed_updates is logged with its code blanked', async t => {
  const b = await startBroker({ debug_level: 6, allowed_requests: LOGIN, allowed_updates: ['updateNewMessage', 'updateChatLastMessage'], tdlib: { backend: 'sandbox' } })
  t.teardown(b.stop)
  const { first, code } = await secondLogin(b, t)
  const message = b.logs.find(r => r.msg === 'update' && r.session === first && (r.update as Msg | undefined)?.['@type'] === 'updateNewMessage')
  const text = ((((message?.update as Msg).message as Msg).content as Msg).text as Msg).text
  t.match(text, /^Login code: \[redacted\]\. Do not give this code to anyone/, 'the message is logged, its code blanked')
  const last = b.logs.find(r => r.msg === 'update' && r.session === first && (r.update as Msg | undefined)?.['@type'] === 'updateChatLastMessage')
  t.ok(last, 'updateChatLastMessage is logged')
  t.notMatch(JSON.stringify(b.logs.records), clear(code), 'the login code is nowhere in the log')
})

t.test('redaction of texts: service chats lose every long number, other texts their "code: …" phrases', async t => {
  const fromService = redactSecrets({ '@type': 'message', chat_id: 777000, content: { '@type': 'messageText', text: { '@type': 'formattedText', text: 'Ваш код: 90817' } } })
  t.same(fromService, { '@type': 'message', chat_id: 777000, content: { '@type': 'messageText', text: { '@type': 'formattedText', text: 'Ваш код: [redacted]' } } })
  const forwarded = redactSecrets({ '@type': 'message', chat_id: 5, forward_info: { origin: { sender_user_id: 777000 } }, content: { text: { text: 'Your code 4821 3' } } }) as Msg
  t.equal(((forwarded.content as Msg).text as Msg).text, 'Your code [redacted]', 'a forward of a service message too')
  const other = redactSecrets({ '@type': 'message', chat_id: 5, content: { text: { text: 'call me at 5550123, my login code is 66123' } } }) as Msg
  t.equal(((other.content as Msg).text as Msg).text, 'call me at 5550123, my login code is [redacted]', 'elsewhere only what follows "code"')
  const qr = redactSecrets({ '@type': 'authorizationStateWaitOtherDeviceConfirmation', link: 'tg://login?token=AQIDBAUG' })
  t.same(qr, { '@type': 'authorizationStateWaitOtherDeviceConfirmation', link: 'tg://login?token=[redacted]' }, 'a QR login link loses its token')
})

/** Logging a session in as one of the sandbox's seeded users, over the socket, as a client would. */
import type { TestClient, Msg } from './client.js'

const state = (session: string, name: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === name

async function ok (c: TestClient, request: Msg): Promise<void> {
  const answer = await c.request(request)
  if (answer['@type'] !== 'ok') throw new Error(`${String(request['@type'])} answered ${JSON.stringify(answer)}`)
}

/**
 * Phone number, the code the sandbox sent it, the 2FA password when given,
 * each after the state that asks for it; resolves at authorizationStateReady,
 * throws on any answer but ok.
 */
export async function loginSeeded (c: TestClient, session: string, world: { loginCode(phone: string): string }, phone: string, password?: string): Promise<void> {
  await c.waitFor(state(session, 'authorizationStateWaitPhoneNumber'))
  await ok(c, { '@type': 'setAuthenticationPhoneNumber', phone_number: phone, '@session': session })
  await c.waitFor(state(session, 'authorizationStateWaitCode'))
  await ok(c, { '@type': 'checkAuthenticationCode', code: world.loginCode(phone), '@session': session })
  if (password !== undefined) {
    await c.waitFor(state(session, 'authorizationStateWaitPassword'))
    await ok(c, { '@type': 'checkAuthenticationPassword', password, '@session': session })
  }
  await c.waitFor(state(session, 'authorizationStateReady'))
}

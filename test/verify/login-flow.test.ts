/**
 * Issue 11 point 7 for a client with `login: false` but no chat list (the
 * scope allows it; docs/clients.md): it must not get the QR login link,
 * neither in updateAuthorizationState nor by asking getAuthorizationState,
 * nor when it attaches (or resumes) after the link was made.
 */
import t from 'tap'
import type { Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const state = (session: string, name: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === name

t.test('login: false without chats: no QR link by update, by answer or on attach', async t => {
  const [backendKey, probeKey] = [await testKey(), await testKey()]
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    allowed_requests: ['requestQrCodeAuthentication', 'getAuthorizationState'],
    clients: [
      keyClient('backend', backendKey),
      keyClient('probe', probeKey, { sessions: 'all', login: false })
    ]
  })
  t.teardown(b.stop)
  const backend = await connectAs(b.port, 'backend', backendKey)
  const probe = await connectAs(b.port, 'probe', probeKey)
  t.teardown(() => { backend.close(); probe.close() })
  const session = await backend.createSession()
  await backend.waitFor(state(session, 'authorizationStateWaitPhoneNumber'))
  await probe.request({ '@type': 'broker.attachSession', session })
  t.equal(errorName(await probe.request({ '@type': 'requestQrCodeAuthentication', other_user_ids: [], '@session': session })), 'REQUEST_NOT_ALLOWED', 'the probe may not start a login')
  await backend.request({ '@type': 'requestQrCodeAuthentication', other_user_ids: [], '@session': session })
  const full = await backend.waitFor(state(session, 'authorizationStateWaitOtherDeviceConfirmation'))
  t.match((full.authorization_state as Msg).link, /^tg:\/\/login\?token=/, 'the backend gets the link')
  await probe.waitFor(state(session, 'authorizationStateWaitOtherDeviceConfirmation'))
  const asked = await probe.request({ '@type': 'getAuthorizationState', '@session': session })
  t.equal(asked['@type'], 'authorizationStateWaitOtherDeviceConfirmation', 'the probe may ask the state')
  t.equal(asked.link, undefined, 'but gets no link by asking')
  const late = await connectAs(b.port, 'probe', probeKey)
  t.teardown(() => { late.close() })
  await late.request({ '@type': 'broker.attachSession', session, last_seq: 0 })
  await late.waitFor(state(session, 'authorizationStateWaitOtherDeviceConfirmation'))
  await late.request({ '@type': 'broker.ping' })
  for (const [who, c] of [['probe', probe], ['a late probe (resumed from 0)', late]] as const) {
    t.notOk(c.received.some(m => JSON.stringify(m).includes('tg://login')), `no line ${who} received holds the link`)
  }
})

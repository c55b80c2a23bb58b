/**
 * Issue 11's findings on the sandbox, through real sockets: a help desk
 * limited to Alice's chat in Bob's session ("desk") cannot end a call it was
 * never shown, gets no contact list, cannot create a channel (refused before
 * it runs: the channel does not exist afterwards), and never receives the
 * QR login link of a session it is attached to.
 */
import t from 'tap'
import type { TestClient, Msg } from '../helpers/client.js'
import { errorName } from '../helpers/clients.js'
import { ALICE, deskScene } from '../helpers/desk.js'

const BOB = 1000002
const DAVE = 1000004
const PROTOCOL = { '@type': 'callProtocol', udp_p2p: true, udp_reflector: true, min_layer: 65, max_layer: 92, library_versions: ['4.0.0'] }
const DESK_REQUESTS = ['getChats', 'getChat', 'getContacts', 'discardCall', 'createNewSupergroupChat', 'getAuthorizationState', 'requestQrCodeAuthentication']

const state = (session: string, name: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === name
const callUpdate = (session: string, user: number, callState: string) => (m: Msg): boolean =>
  m['@type'] === 'updateCall' && m['@session'] === session && (m.call as Msg).user_id === user && ((m.call as Msg).state as Msg)['@type'] === callState

async function setup (t: { teardown: (f: () => unknown) => void }): Promise<{ backend: TestClient, desk: TestClient, login: (phone: string, password?: string) => Promise<string> }> {
  return await deskScene(t, {
    desk: DESK_REQUESTS,
    requests: ['searchPublicChat', 'createCall', 'acceptCall'],
    allowed_updates: ['updateCall', 'updateNewChat']
  })
}

t.test('calls: desk cannot end a call it was not shown, and may end one with Alice', async t => {
  const { backend, desk, login } = await setup(t)
  const bob = await login('15550001002', 'sandbox')
  const dave = await login('15550001004')
  const alice = await login('15550001001')
  t.equal((await desk.request({ '@type': 'broker.attachSession', session: bob }))['@type'], 'broker.attached')
  await backend.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': dave })
  await backend.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice })

  // Dave calls Bob: the desk, limited to Alice's chat, is not told.
  t.equal((await backend.request({ '@type': 'createCall', user_id: BOB, protocol: PROTOCOL, is_video: false, '@session': dave }))['@type'], 'callId')
  const ringing = await backend.waitFor(callUpdate(bob, DAVE, 'callStatePending'))
  const daveCall = (ringing.call as Msg).id as number
  const refused = await desk.request({ '@type': 'discardCall', call_id: daveCall, is_disconnected: false, invite_link: '', duration: 0, is_video: false, connection_id: '0', '@session': bob })
  t.equal(errorName(refused), 'CHAT_NOT_ALLOWED', 'discardCall of a call the desk never saw is refused (finding 3)')
  t.match(refused.message, /call_id: call \d+ was not shown to this client in one of its chats/)
  t.notOk(desk.received.some(m => m['@type'] === 'updateCall'), 'the desk heard nothing of the call')
  t.equal((await backend.request({ '@type': 'acceptCall', call_id: daveCall, protocol: PROTOCOL, '@session': bob }))['@type'], 'ok', "Dave's call with Bob goes on")
  await backend.waitFor(callUpdate(dave, BOB, 'callStateReady'))

  // Alice calls Bob: the desk is shown the call, so it may end it.
  await backend.request({ '@type': 'createCall', user_id: BOB, protocol: PROTOCOL, is_video: false, '@session': alice })
  const shown = await desk.waitFor(callUpdate(bob, ALICE, 'callStatePending'))
  const ended = await desk.request({ '@type': 'discardCall', call_id: (shown.call as Msg).id, is_disconnected: false, invite_link: '', duration: 0, is_video: false, connection_id: '0', '@session': bob })
  t.equal(ended['@type'], 'ok', 'a call with Alice, which the desk was shown, may be ended')
  await backend.waitFor(callUpdate(alice, BOB, 'callStateDiscarded'))
})

t.test('answers: the contact list is withheld; a channel is never created', async t => {
  const { backend, desk, login } = await setup(t)
  const bob = await login('15550001002', 'sandbox')
  await desk.request({ '@type': 'broker.attachSession', session: bob })
  const contacts = await desk.request({ '@type': 'getContacts', '@session': bob })
  t.equal(errorName(contacts), 'ANSWER_WITHHELD', "Bob's contacts are not the desk's to see (finding 4)")
  t.notOk(JSON.stringify(contacts).includes(String(ALICE)), 'the refusal names no contact')
  t.same((await backend.request({ '@type': 'getContacts', '@session': bob })).user_ids, [ALICE], 'the unscoped client gets them')

  const chats = async (): Promise<unknown> => (await backend.request({ '@type': 'getChats', limit: 100, '@session': bob })).chat_ids
  const before = await chats()
  const created = await desk.request({ '@type': 'createNewSupergroupChat', title: 'desk channel', is_channel: true, description: '', '@session': bob })
  t.equal(errorName(created), 'CHAT_NOT_ALLOWED', 'createNewSupergroupChat is refused (finding 6)')
  t.match(created.message, /createNewSupergroupChat creates a chat/)
  await desk.request({ '@type': 'broker.ping' })
  t.same(await chats(), before, "refused before it ran: Bob's account has no new chat")
  const ok = await backend.request({ '@type': 'createNewSupergroupChat', title: 'backend channel', is_channel: true, description: '', '@session': bob })
  t.equal(ok['@type'], 'chat', 'the unscoped client may create one')
  t.same(await chats(), [ok.id, ...(before as number[])], 'and that one shows in the list, so the list would have shown the desk\'s')
})

t.test('the QR login link never reaches a chat-scoped client (finding 7)', async t => {
  const { backend, desk } = await setup(t)
  const session = await backend.createSession()
  await backend.waitFor(state(session, 'authorizationStateWaitPhoneNumber'))
  await desk.request({ '@type': 'broker.attachSession', session })
  t.equal(errorName(await desk.request({ '@type': 'requestQrCodeAuthentication', other_user_ids: [], '@session': session })), 'REQUEST_NOT_ALLOWED',
    'the desk may not start a login')
  await backend.request({ '@type': 'requestQrCodeAuthentication', other_user_ids: [], '@session': session })
  const full = await backend.waitFor(state(session, 'authorizationStateWaitOtherDeviceConfirmation'))
  t.match((full.authorization_state as Msg).link, /^tg:\/\/login\?token=/, 'the client that logs in gets the link')
  const seen = await desk.waitFor(state(session, 'authorizationStateWaitOtherDeviceConfirmation'))
  t.same(seen.authorization_state, { '@type': 'authorizationStateWaitOtherDeviceConfirmation' }, 'the desk learns the state, not the link')
  const asked = await desk.request({ '@type': 'getAuthorizationState', '@session': session })
  t.same(asked['@type'], 'authorizationStateWaitOtherDeviceConfirmation')
  t.equal(asked.link, undefined, 'nor by asking')
  t.notOk(desk.received.some(m => JSON.stringify(m).includes('tg://login')), 'no line the desk received holds the link')
})

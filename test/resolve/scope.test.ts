/**
 * A client with a chat scope resolves usernames and phone numbers only among
 * its own chats, with local requests in the session: a name outside them is
 * refused naming what the client wrote, never an id, and costs no lookup
 * (no searchPublicChat, searchUserByPhoneNumber, importContacts or
 * createPrivateChat: every request the session's TDLib got is recorded).
 * The chat scope's own refusals never tell an id the client did not write.
 */
import t from 'tap'
import { TestClient, type Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, testKey } from '../helpers/clients.js'
import { scratchDir } from '../store/helpers/broker.js'
import { ALICE, BOB, DAVE, LOUNGE, loginUser, siptgOnSandbox, startSandboxBroker, type SandboxBroker } from './helpers.js'

const LOOKUPS = new Set(['searchPublicChat', 'searchUserByPhoneNumber', 'importContacts', 'createPrivateChat', 'searchPublicChats', 'searchChatsOnServer'])
const lookupsSince = (b: SandboxBroker, mark: number): string[] => b.backend.calls.slice(mark).filter(c => LOOKUPS.has(c.type)).map(c => c.type)

t.test('a scoped client resolves only among its chats; other names are refused without an id and without a lookup', async t => {
  const [allKey, deskKey] = [await testKey(), await testKey()]
  const settings = siptgOnSandbox()
  const b = await startSandboxBroker(scratchDir(), {
    ...settings,
    allowed_requests: [...settings.allowed_requests as string[], 'getChat', 'getSupergroup'],
    request_peers: { ...settings.request_peers as object, getChat: 'chat_id' },
    clients: [keyClient('backend', allKey), keyClient('desk', deskKey, { chats: [BOB.id, LOUNGE.chat_id] })],
  })
  t.teardown(b.stop)
  const all = await connectAs(b.port, 'backend', allKey)
  const desk = await connectAs(b.port, 'desk', deskKey)
  t.teardown(() => { all.close(); desk.close() })
  const alice = await loginUser(all, ALICE.phone)
  // The unscoped client makes Alice's session know Bob, Dave and the lounge, and fills the shared records.
  for (const name of ['@bob_baker', '@dave_d', '@sandbox_lounge']) t.equal((await all.request({ '@type': 'getChat', chat_id: name, '@session': alice }))['@type'], 'chat')
  t.match(await all.request({ '@type': 'getUser', user_id: DAVE.phone, '@session': alice }), { id: DAVE.id })
  await desk.request({ '@type': 'broker.attachSession', session: alice })

  const mark = b.backend.calls.length
  const seenBefore = b.seen.length
  const refusals: Array<[Msg, string]> = [
    [await desk.request({ '@type': 'getChat', chat_id: '@dave_d', '@session': alice }), 'getChat.chat_id "@dave_d"'],
    [await desk.request({ '@type': 'getUser', user_id: 'Dave_D', '@session': alice }), 'getUser.user_id "Dave_D"'],
    [await desk.request({ '@type': 'getUser', user_id: '+1 555 000 1004', '@session': alice }), 'getUser.user_id "+1 555 000 1004"'],
    [await desk.request({ '@type': 'getChat', chat_id: '@nobody_here_at_all', '@session': alice }), 'getChat.chat_id "@nobody_here_at_all"'],
    [await desk.request({ '@type': 'getUser', user_id: '+1 555 000 7777', '@session': alice }), 'getUser.user_id "+1 555 000 7777"'],
    [await desk.request({ '@type': 'getUser', user_id: '@sandbox_lounge', '@session': alice }), 'getUser.user_id "@sandbox_lounge"'],
  ]
  for (const [answer, named] of refusals) {
    t.equal(answer.message, `CHAT_NOT_ALLOWED: ${named} is not one of this client's chats`, 'refused naming what the client wrote')
    t.notOk(/1000004|1000003|1000001|-100/.test(String(answer.message)), 'no id in the refusal')
  }
  t.same(lookupsSince(b, mark), [], 'no lookup, import or chat creation for the scoped client')
  t.equal(b.seen.length, seenBefore, 'no refused request went further')
  t.ok(b.backend.calls.slice(mark).every(c => ['getChat', 'getUser', 'getSupergroup'].includes(c.type)), 'only local requests were made')
  t.ok(b.backend.calls.length - mark <= refusals.length * 3, 'each of its two chats described at most once per request (getUser; getChat and getSupergroup)')

  // Its own chats resolve, by username and by phone number, with local requests only.
  const mark2 = b.backend.calls.length
  t.match(await desk.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice }), { '@type': 'user', id: BOB.id })
  t.match(await desk.request({ '@type': 'getChat', chat_id: 'SANDBOX_LOUNGE', '@session': alice }), { '@type': 'chat', id: LOUNGE.chat_id })
  t.match(await desk.request({ '@type': 'getUser', user_id: BOB.phone, '@session': alice }), { '@type': 'user', id: BOB.id }, "Bob is Alice's contact: she sees his number")
  t.match(await desk.request({ '@type': 'sendMessage', chat_id: '@bob_baker', input_message_content: { '@type': 'inputMessageText', text: 'hi *Bob*' }, '@session': alice }), { '@type': 'message', chat_id: BOB.id })
  t.same(lookupsSince(b, mark2), [])

  // The chat scope's refusal names an id only when the client wrote it.
  const written = await desk.request({ '@type': 'getChat', chat_id: 1000004, '@session': alice })
  t.equal(written.message, "CHAT_NOT_ALLOWED: chat 1000004 is not one of this client's chats")
  const derived = await desk.request({ '@type': 'getSupergroup', supergroup_id: 1002, '@session': alice })
  t.equal(derived.message, "CHAT_NOT_ALLOWED: getSupergroup names a chat that is not one of this client's chats", "the supergroup's chat id (-1000000001002) is not told")

  // An unscoped client on the same session still looks names up.
  t.equal(errorName(await all.request({ '@type': 'getUser', user_id: '+1 555 000 7777', '@session': alice })), 'PEER_NOT_FOUND')
  t.ok(lookupsSince(b, mark2).includes('searchUserByPhoneNumber'))
})

t.test('a scoped client on a session that is not logged in gets TDLib\'s 401, as before', async t => {
  const [allKey, deskKey] = [await testKey(), await testKey()]
  const b = await startSandboxBroker(scratchDir(), {
    ...siptgOnSandbox(),
    clients: [keyClient('backend', allKey), keyClient('desk', deskKey, { chats: [BOB.id] })],
  })
  t.teardown(b.stop)
  const all = await connectAs(b.port, 'backend', allKey)
  const desk: TestClient = await connectAs(b.port, 'desk', deskKey)
  t.teardown(() => { all.close(); desk.close() })
  const session = await all.createSession()
  await desk.request({ '@type': 'broker.attachSession', session })
  const answer = await desk.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': session })
  t.match(answer, { '@type': 'error', code: 401, message: 'Unauthorized' })
})

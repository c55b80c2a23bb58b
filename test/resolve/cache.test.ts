/**
 * The resolution cache on the sandbox: a session's own answers, shared
 * records as hints that each session's TDLib must confirm, bounded by
 * resolve_cache_ttl, kept across a restart. A session that cannot confirm a
 * hint looks the value up itself, and the request goes to TDLib once. Plus
 * the importContacts fallback for phone numbers, with a session double (the
 * sandbox finds every phone number).
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { ResolveCache } from '../../src/resolve/cache.js'
import { PeerResolver, type PeerSession } from '../../src/resolve/resolver.js'
import { LocalStore, STORE_FILE } from '../../src/store/local-store.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { TestClient } from '../helpers/client.js'
import { ALICE, BOB, CAROL, DAVE, authState, loginUser, siptgOnSandbox, startSandboxBroker, type SandboxBroker } from './helpers.js'
import { scratchDir } from '../store/helpers/broker.js'

const calls = (b: SandboxBroker, session: string, type: string): number => b.backend.calls.filter(c => c.session === session && c.type === type).length
const sendText = (chatId: unknown, session: string): Record<string, unknown> =>
  ({ '@type': 'sendMessage', chat_id: chatId, input_message_content: { '@type': 'inputMessageText', text: 'hello' }, '@session': session })

t.test("with the cache: a session's second resolution needs no lookup; a session that cannot confirm a cached id looks it up itself, and the request goes once", async t => {
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox())
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  const dave = await loginUser(client, DAVE.phone, DAVE.code)

  t.match(await client.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice }), { '@type': 'user', id: BOB.id })
  t.match(await client.request({ '@type': 'getUser', user_id: 'BOB_BAKER', '@session': alice }), { '@type': 'user', id: BOB.id })
  t.equal(calls(b, alice, 'searchPublicChat'), 1, 'Alice asked Telegram once; the second time her own answer, checked locally')

  // Dave has never seen Bob: the shared record is a hint his TDLib cannot confirm, so he looks Bob up himself.
  const mark = b.backend.calls.length
  const sent = await client.request(sendText('@bob_baker', dave))
  t.match(sent, { '@type': 'message', chat_id: BOB.id })
  t.same(b.backend.calls.slice(mark).filter(c => c.session === dave).map(c => [c.type, c.error ?? 'ok']), [
    ['getUser', '400 User not found'],
    ['searchPublicChat', 'ok'],
    ['getUser', 'ok'],
    ['sendMessage', 'ok'],
  ], "Dave's TDLib: the hinted id checked locally and unknown, the username looked up, then the request once")

  // Phone numbers: the same, and a second session of Alice's that knows no one yet looks the number up itself.
  t.match(await client.request({ '@type': 'getUser', user_id: DAVE.phone, '@session': alice }), { id: DAVE.id })
  t.match(await client.request({ '@type': 'getUser', user_id: '+1 555 000 1004', '@session': alice }), { id: DAVE.id })
  t.equal(calls(b, alice, 'searchUserByPhoneNumber'), 1, 'one lookup for two writings of the same number')
  const alice2 = await loginUser(client, ALICE.phone)
  const mark2 = b.backend.calls.length
  t.match(await client.request({ '@type': 'getUser', user_id: DAVE.phone, '@session': alice2 }), { id: DAVE.id })
  t.same(b.backend.calls.slice(mark2).filter(c => c.session === alice2).map(c => [c.type, c.error ?? 'ok']), [
    ['getUser', '400 User not found'],
    ['searchUserByPhoneNumber', 'ok'],
    ['getUser', 'ok'],
  ])

  // A failure of the request itself is TDLib's answer, sent once.
  const mark3 = b.backend.calls.length
  const refused = await client.request({ ...sendText('@bob_baker', dave), input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: '', entities: [] } } })
  t.equal(refused['@type'], 'error')
  t.equal(b.backend.calls.slice(mark3).filter(c => c.type === 'sendMessage').length, 1, 'sent to TDLib once')
})

t.test('resolve_cache_ttl 0: every request asks TDLib', async t => {
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox({ resolve_cache_ttl: 0 }))
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  for (let i = 0; i < 3; i++) t.match(await client.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice }), { id: BOB.id })
  t.equal(calls(b, alice, 'searchPublicChat'), 3)
  for (let i = 0; i < 2; i++) t.match(await client.request({ '@type': 'getUser', user_id: DAVE.phone, '@session': alice }), { id: DAVE.id })
  t.equal(calls(b, alice, 'searchUserByPhoneNumber'), 2)
})

t.test('the cache survives a restart (written atomically under tdlib.path)', async t => {
  const dir = scratchDir()
  const first = await startSandboxBroker(dir, siptgOnSandbox())
  const c1 = await TestClient.connect(first.port)
  const alice = await loginUser(c1, ALICE.phone)
  await c1.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice })
  await c1.request({ '@type': 'getUser', user_id: CAROL.phone, '@session': alice })
  c1.close()
  await first.stop()
  const file = JSON.parse(readFileSync(join(dir, 'sessions', STORE_FILE), 'utf8')) as { usernames: Array<{ username: string, chat_id: number }> }
  t.match(file.usernames, [{ username: 'bob_baker', chat_id: BOB.id, user_id: BOB.id, is_bot: false }])

  // A new process: a new emulated Telegram (logins come back from the folders), the same storage.
  const second = await startSandboxBroker(dir, siptgOnSandbox())
  t.teardown(second.stop)
  const c2 = await TestClient.connect(second.port)
  t.teardown(() => { c2.close() })
  await c2.request({ '@type': 'broker.attachSession', session: alice })
  await c2.waitFor(authState(alice, 'authorizationStateReady'))
  t.match(await c2.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice }), { id: BOB.id })
  t.match(await c2.request({ '@type': 'getUser', user_id: CAROL.phone, '@session': alice }), { id: CAROL.id })
  t.equal(calls(second, alice, 'searchPublicChat') + calls(second, alice, 'searchUserByPhoneNumber'), 0,
    "both came from the records kept on disk, confirmed by Alice's TDLib (Carol is her contact, so she sees Carol's number)")
})

t.test('a phone number the account cannot find is imported as a contact, then resolved', async t => {
  const asked: TdObject[] = []
  const session: PeerSession = {
    id: '1',
    async invoke (request) {
      asked.push(request)
      switch (request['@type']) {
        case 'searchUserByPhoneNumber': return { '@type': 'error', code: 404, message: 'User not found' }
        case 'importContacts': return { '@type': 'importedContacts', user_ids: [555], importer_count: [0] }
        case 'getUser': return { '@type': 'user', id: 555, phone_number: '', type: { '@type': 'userTypeRegular' } }
        case 'createPrivateChat': return { '@type': 'chat', id: 555 }
        default: return { '@type': 'error', code: 400, message: 'unexpected' }
      }
    },
  }
  const local = new LocalStore(scratchDir(), pino({ level: 'silent' }))
  const store = {
    local,
    rememberUser: (u: { user_id: number, phone?: string, is_bot: boolean }) => { local.putUser({ ...u, updated: Date.now() }) },
    rememberUsername: () => {},
  }
  const resolver = new PeerResolver(new ResolveCache(store, () => 60), pino({ level: 'silent' }))
  const resolved = await resolver.resolveAll(session, [{ keys: ['chat_id'], field: 'sendMessage.chat_id', value: '+7 999 000-11-22', peer: { kind: 'phone', phone: '79990001122' }, want: 'chat' }])
  t.same(resolved, [555])
  t.same(asked.map(r => r['@type']), ['searchUserByPhoneNumber', 'importContacts', 'getUser', 'createPrivateChat'])
  t.same(asked[1], { '@type': 'importContacts', contacts: [{ '@type': 'importedContact', phone_number: '+79990001122', first_name: '+79990001122', last_name: '' }] },
    'the contact is named after its number')
  t.same(local.userByPhone('79990001122'), { user_id: 555, phone: '79990001122', is_bot: false, updated: local.userByPhone('79990001122')?.updated })

  // A Telegram failure other than "not found" goes to the client as it is.
  const flooded: PeerSession = { id: '2', invoke: async () => ({ '@type': 'error', code: 429, message: 'Too Many Requests: retry after 7' }) }
  await t.rejects(resolver.resolveAll(flooded, [{ keys: ['user_id'], field: 'getUser.user_id', value: '@somebody', peer: { kind: 'username', username: 'somebody' }, want: 'user' }]),
    { name: 'Error', answer: { code: 429, message: 'Too Many Requests: retry after 7' } })
})

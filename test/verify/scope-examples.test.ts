/**
 * Issue 11 findings 4, 5 and 12 through real sockets on the sandbox, as the
 * issue tried them: the desk (only Alice's chat in Bob's session) cannot
 * look up or import Dave, create a basic group, or read a t.me/c link, and
 * Bob's account is unchanged afterwards; a client without `account` (and
 * one with chats) cannot set reserved options, proxies, the network type,
 * or close the session.
 */
import t from 'tap'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import type { Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const ALICE = 1000001
const DAVE = 1000004
const state = (session: string, name: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === name
const ACCOUNT_WIDE: Msg[] = [
  { '@type': 'setOption', name: 'language_pack_database_path', value: { '@type': 'optionValueString', value: '/tmp/tdbroker-verify-x' } },
  { '@type': 'setOption', name: 'online', value: { '@type': 'optionValueBoolean', value: true } },
  { '@type': 'addProxy', proxy: { '@type': 'proxy', server: '127.0.0.1', port: 1080, type: { '@type': 'proxyTypeSocks5', username: '', password: '' } }, enable: true },
  { '@type': 'enableProxy', proxy_id: 1 },
  { '@type': 'testProxy', proxy: { '@type': 'proxy', server: '10.0.0.1', port: 22, type: { '@type': 'proxyTypeSocks5', username: '', password: '' } }, dc_id: 2, timeout: 1 },
  { '@type': 'pingProxy', proxy_id: 1 },
  { '@type': 'setNetworkType', type: { '@type': 'networkTypeNone' } },
  { '@type': 'close' },
  { '@type': 'destroy' },
  { '@type': 'logOut' }
]
const LOOKUPS: Msg[] = [
  { '@type': 'searchUserByPhoneNumber', phone_number: '+15550001004', only_local: false },
  { '@type': 'importContacts', contacts: [{ '@type': 'importedContact', phone_number: '+15550001004', first_name: 'Dave', last_name: '' }] },
  { '@type': 'createNewBasicGroupChat', user_ids: [ALICE], title: 'desk group', message_auto_delete_time: 0 },
  { '@type': 'getMessageLinkInfo', url: 'https://t.me/c/1001/1' },
  { '@type': 'getChat', chat_id: '@dave_d' },
  { '@type': 'searchPublicChat', username: 'dave_d' }
]

t.test('the issue\'s examples, end to end', async t => {
  const [backendKey, deskKey, probeKey] = [await testKey(), await testKey(), await testKey()]
  const types = [...new Set([...ACCOUNT_WIDE, ...LOOKUPS].map(r => r['@type'] as string))]
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'getContacts', 'getChats', ...types],
    request_peers: { getChat: 'chat_id' },
    clients: [
      keyClient('backend', backendKey, { account: true }),
      keyClient('desk', deskKey, { allowed_requests: types, sessions: 'all', may_create_sessions: false, chats: [ALICE] }),
      keyClient('probe', probeKey, { allowed_requests: types, sessions: 'all', may_create_sessions: false })
    ]
  })
  t.teardown(b.stop)
  const backend = await connectAs(b.port, 'backend', backendKey)
  const desk = await connectAs(b.port, 'desk', deskKey)
  const probe = await connectAs(b.port, 'probe', probeKey)
  t.teardown(() => { backend.close(); desk.close(); probe.close() })
  const sandbox = b.backend as SandboxBackend
  const bob = await backend.createSession()
  await backend.waitFor(state(bob, 'authorizationStateWaitPhoneNumber'))
  await backend.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550001002', '@session': bob })
  await backend.request({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode('15550001002'), '@session': bob })
  await backend.request({ '@type': 'checkAuthenticationPassword', password: 'sandbox', '@session': bob })
  await backend.waitFor(state(bob, 'authorizationStateReady'))
  await desk.request({ '@type': 'broker.attachSession', session: bob })
  await probe.request({ '@type': 'broker.attachSession', session: bob })
  const account = async (): Promise<unknown> => [
    (await backend.request({ '@type': 'getContacts', '@session': bob })).user_ids,
    (await backend.request({ '@type': 'getChats', limit: 100, '@session': bob })).chat_ids
  ]
  const before = await account()

  for (const request of LOOKUPS) {
    const r = await desk.request({ ...request, '@session': bob })
    t.equal(errorName(r), 'CHAT_NOT_ALLOWED', `desk: ${String(request['@type'])} refused: ${String(r.message)}`)
    t.notOk(String(r.message).includes(String(DAVE)), `desk: ${String(request['@type'])}: the refusal does not tell Dave's id`)
  }
  t.same(await account(), before, "Bob's contacts and chats are unchanged: nothing was imported, created or looked up into a chat")

  for (const [name, client] of [['desk', desk], ['probe', probe]] as const) {
    for (const request of ACCOUNT_WIDE) {
      // Options that do not change the broker itself stay open to a client without chats (docs/clients.md, scope.options).
      if (name === 'probe' && request.name === 'online') {
        t.equal((await client.request({ ...request, '@session': bob }))['@type'], 'ok', 'probe (no chats): an ordinary option, as documented')
        continue
      }
      const r = await client.request({ ...request, '@session': bob })
      t.ok(['REQUEST_NOT_ALLOWED', 'REQUEST_RESERVED'].includes(errorName(r) ?? ''), `${name}: ${String(request['@type'])} ${String(request.name ?? '')} refused: ${String(r.message)}`)
    }
  }
  t.equal((await backend.request({ '@type': 'getContacts', '@session': bob }))['@type'], 'users', 'the session still works (close and destroy never ran)')
  t.equal((await backend.request({ ...ACCOUNT_WIDE[1]!, '@session': bob }))['@type'], 'ok', 'a client with account may set online')
})

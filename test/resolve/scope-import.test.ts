/**
 * A client limited to some chats never makes the broker add a contact: an
 * unknown phone number is refused without importContacts, while an unscoped
 * client resolves the same number by importing it.
 */
import t from 'tap'
import type { Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'

t.test('phone resolution for a chat-scoped client does not import contacts', async t => {
  const [allKey, deskKey] = [await testKey(), await testKey()]
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'getUser', 'getContacts'],
    request_peers: { getUser: 'user_id' },
    clients: [keyClient('backend', allKey), keyClient('desk', deskKey, { chats: [1000002] })]
  })
  t.teardown(b.stop)
  const sandbox = b.backend as SandboxBackend
  sandbox.world.addUser({ id: 1000099, phone: '15550009999', first_name: 'Stranger' })
  const all = await connectAs(b.port, 'backend', allKey)
  const desk = await connectAs(b.port, 'desk', deskKey)
  t.teardown(() => { all.close(); desk.close() })
  const session = await all.createSession()
  const state = (name: string) => (m: Msg): boolean => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as Msg)['@type'] === name
  await all.waitFor(state('authorizationStateWaitPhoneNumber'))
  await all.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: '+15550001001', '@session': session })
  await all.waitFor(state('authorizationStateWaitCode'))
  await all.request({ '@type': 'checkAuthenticationCode', code: '12345', '@session': session })
  await all.waitFor(state('authorizationStateReady'))
  await desk.request({ '@type': 'broker.attachSession', session })
  const contacts = async (): Promise<unknown> => (await all.request({ '@type': 'getContacts', '@session': session })).user_ids

  const before = await contacts()
  const refused = await desk.request({ '@type': 'getUser', user_id: '+1 555 000 8888', '@session': session })
  t.equal(errorName(refused), 'PEER_NOT_FOUND')
  t.match(refused.message, /chat scope does not allow adding it as a contact/, 'refused without importing the number')
  t.same(await contacts(), before, 'no contact was added for the scoped client')

  const unscoped = await all.request({ '@type': 'getUser', user_id: '+1 555 000 8888', '@session': session })
  t.equal(errorName(unscoped), 'PEER_NOT_FOUND')
  t.match(unscoped.message, /no Telegram user has the phone number \+15550008888/, 'an unscoped client tries importContacts (nobody has this number)')
  t.equal((await all.request({ '@type': 'getUser', user_id: '+1 555 000 9999', '@session': session })).id, 1000099, 'and resolves a number that exists')
})

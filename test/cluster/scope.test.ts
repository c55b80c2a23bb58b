/**
 * Whitelists and scopes hold the same whichever node a client reaches: they
 * are enforced at the client's node before a request is forwarded to the
 * owner, and sessions outside a scope are as invisible through another node.
 */
import t from 'tap'
import type { Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, testKey } from '../helpers/clients.js'
import { authState, freshPrefix, startNode, until } from './helpers.js'

t.test('a scoped client on another node is held to its scope', async t => {
  const adminKey = await testKey()
  const readerKey = await testKey()
  const clients = [
    keyClient('admin', adminKey, {}),
    keyClient('reader', readerKey, { allowed_requests: ['getAuthorizationState'], sessions: 'own' })
  ]
  const prefix = freshPrefix()
  const a = await startNode(prefix, 'a', { raw: { clients } })
  t.teardown(async () => { await a.stop() })
  const b = await startNode(prefix, 'b', { raw: { clients } })
  t.teardown(async () => { await b.stop() })

  const admin = await connectAs(a.port, 'admin', adminKey)
  t.teardown(() => { admin.close() })
  const session = await admin.createSession()
  await admin.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'), 30_000)
  await until(() => b.broker.registry.get(session) !== undefined, 10_000, 'node b to know the session')

  const reader = await connectAs(b.port, 'reader', readerKey)
  t.teardown(() => { reader.close() })
  const listed = await reader.request({ '@type': 'broker.listSessions' })
  t.notOk((listed.sessions as Msg[]).some(s => s.session === session), 'the admin\'s session is not listed for the reader on node b')
  t.equal(errorName(await reader.request({ '@type': 'broker.attachSession', session })), 'SESSION_NOT_ALLOWED', 'nor can the reader attach to it there')
  t.equal(errorName(await reader.request({ '@type': 'getAuthorizationState', '@session': session })), 'SESSION_NOT_ALLOWED', 'nor send it requests')

  const own = await reader.createSession()
  await reader.waitFor(authState(own, 'authorizationStateWaitPhoneNumber'), 30_000)
  const allowed = await reader.request({ '@type': 'getAuthorizationState', '@session': own }, 30_000)
  t.equal(allowed['@type'], 'authorizationStateWaitPhoneNumber', 'its own session answers what its scope allows')
  const refused = await reader.request({ '@type': 'getMe', '@session': own }, 30_000)
  t.equal(errorName(refused), 'REQUEST_NOT_ALLOWED', 'a request the global list allows but its scope does not is refused at its node')
})

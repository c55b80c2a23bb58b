/**
 * Two nodes of one cluster on the shared NATS: a session created through
 * one is served through the other (control requests, forwarded TDLib
 * requests with the client's @extra, the same updates with the same @seq,
 * resume with last_seq on the other node), and the status shows both.
 */
import t from 'tap'
import { TestClient, type Msg } from '../helpers/client.js'
import { login, twoNodesAndSession, until } from './helpers.js'

t.test('a session created on one node is served by another', async t => {
  const { a, b, ca, cb, session } = await twoNodesAndSession(t)

  const listed = await cb.request({ '@type': 'broker.listSessions' })
  t.ok((listed.sessions as Msg[]).some(s => s.session === session && s.state === 'running'), 'node b lists it as running')

  const attached = await cb.request({ '@type': 'broker.attachSession', session }, 30_000)
  t.equal(attached['@type'], 'broker.attached', 'node b attaches')
  t.equal(attached.authorization_state, 'authorizationStateWaitPhoneNumber', 'with the current state')

  await login(cb, session)
  const me = await cb.request({ '@type': 'getMe', '@session': session, '@extra': { mine: 42 } }, 30_000)
  t.equal(me['@type'], 'user', 'getMe forwarded to the owner is answered')
  t.same(me['@extra'], { mine: 42 }, 'with the client\'s own @extra')

  // One message to Saved Messages: both nodes' clients see the same updates, with the same numbers.
  const chat = await cb.request({ '@type': 'createPrivateChat', user_id: me.id, '@session': session }, 30_000)
  const sent = await ca.request({ '@type': 'sendMessage', chat_id: chat.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'hello' } }, '@session': session }, 30_000)
  t.equal(sent['@type'], 'message', 'sendMessage through node a')
  const onA = await ca.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === session, 30_000)
  const onB = await cb.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === session, 30_000)
  t.equal(onA['@seq'], onB['@seq'], 'the same @seq on both nodes')
  const seqsA = ca.updates(session).map(m => m['@seq'])
  await until(() => cb.updates(session).length >= 1 && (cb.updates(session).at(-1)?.['@seq'] as number) >= (seqsA.at(-1) as number), 10_000, 'b to catch up')

  // A third client resumes on node b from an early number and gets exactly what came after it.
  const all = cb.updates(session)
  const from = all[0]?.['@seq'] as number
  const cr = await TestClient.connect(b.port)
  t.teardown(() => { cr.close() })
  const resumed = await cr.request({ '@type': 'broker.attachSession', session, last_seq: from }, 30_000)
  t.equal((resumed.resume as Msg).complete, true, 'the resume is complete')
  await until(() => cr.updates(session).length >= all.length - 1, 10_000, 'the replay')
  t.same(cr.updates(session).map(m => m['@seq']).slice(0, all.length - 1), all.slice(1).map(m => m['@seq']), 'the replay is what came after last_seq, in order')

  const status = await cb.request({ '@type': 'broker.getStatus' })
  const cluster = status.cluster as Msg
  t.equal(cluster.node, 'b', 'status names the node')
  t.same((cluster.nodes as Msg[]).map(n => n.node).sort(), ['a', 'b'], 'status shows both nodes')
  t.ok((cluster.leases as Msg[]).some(l => l.session === session), 'status shows the session\'s lease')
})

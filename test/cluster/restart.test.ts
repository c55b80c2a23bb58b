/**
 * NATS restarted (killed and started again on its port and store) while a
 * session's updates flow: the nodes reconnect and go on serving, and every
 * update JetStream acknowledged reaches the clients, once.
 */
import t from 'tap'
import { ALWAYS_ALLOWED_UPDATES } from '../../src/policy/policy.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { UPDATES, compareWithStream, freshPrefix, login, settled, startNats, startNode, streamTally, until } from './helpers.js'

const accepts = (type: string): boolean => ALWAYS_ALLOWED_UPDATES.has(type) || UPDATES.includes(type)

t.test('NATS restarted under load', async t => {
  let nats = await startNats()
  t.teardown(async () => { await nats.stop() })
  const prefix = freshPrefix()
  const opts = { servers: [nats.url], cluster: { lease_ttl: 10, heartbeat: 1 } }
  const a = await startNode(prefix, 'a', opts)
  t.teardown(async () => { await a.stop() })
  const b = await startNode(prefix, 'b', opts)
  t.teardown(async () => { await b.stop() })

  const ca = await TestClient.connect(a.port)
  const cb = await TestClient.connect(b.port)
  t.teardown(() => { ca.close(); cb.close() })
  const session = await ca.createSession()
  await login(ca, session)
  t.equal((await cb.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached')
  const me = await cb.request({ '@type': 'getMe', '@session': session }, 30_000)

  let answered = 0
  let running = true
  const load = (async () => {
    for (let i = 0; running; i++) {
      const c = i % 2 === 0 ? ca : cb
      const answer = await c.request({ '@type': 'sendMessage', chat_id: me.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: `m${i}` } }, '@session': session }, 60_000).catch(() => ({}) as Msg)
      if (answer['@type'] === 'message') answered++
      else await new Promise(resolve => setTimeout(resolve, 100))
    }
  })()
  await until(() => answered >= 20, 60_000, 'messages before the restart')
  nats = await nats.restart()
  const before = answered
  await until(() => answered >= before + 20, 90_000, 'messages answered after the restart')
  running = false
  await load
  t.pass(`${answered} messages answered, ${answered - before} after the restart`)

  const tally = await streamTally(nats.url, prefix, session)
  const { stream, received } = await settled(tally, [() => ca.updates(session), () => cb.updates(session)], accepts, 60_000).finally(async () => { await tally.close() })
  t.ok(stream.length >= 40, `the stream holds ${stream.length} updates`)
  for (const [i, name] of ['client on a', 'client on b'].entries()) {
    const { duplicated, lost, invented } = compareWithStream(received[i] ?? [], stream, accepts)
    t.equal(duplicated, 0, `${name}: no update twice`)
    t.same(lost, [], `${name}: no acknowledged update lost`)
    t.same(invented, [], `${name}: nothing that was not published`)
  }
})

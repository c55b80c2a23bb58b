/**
 * Something other than a node writes to the cluster's NATS: a catalogue or
 * lease value that is not JSON, a message on a session's update subject
 * that is not an update. Each is logged and skipped; the node's view of the
 * cluster and the session's update consumer go on.
 */
import t from 'tap'
import { headers, connect } from '@nats-io/transport-node'
import { jetstream } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import { TestClient, type Msg } from '../helpers/client.js'
import { authState, freshPrefix, login, startNode, until } from './helpers.js'

t.test('malformed bucket values and stream messages are logged and skipped', async t => {
  const prefix = freshPrefix()
  const a = await startNode(prefix, 'a')
  t.teardown(async () => { await a.stop() })
  const nc = await connect({ servers: 'nats://127.0.0.1:4222' })
  t.teardown(async () => { await nc.close() })
  const js = jetstream(nc)
  const kvm = new Kvm(js)
  const catalogue = await kvm.open(`${prefix}-sessions`)
  const leases = await kvm.open(`${prefix}-leases`)
  const skipped = (msg: string, key: string): boolean => a.logs.records.some(r => r.msg === msg && r.key === key)

  await catalogue.put('77777', '{not json')
  await leases.put('77778', 'neither')
  await until(() => skipped('cluster: a bucket entry that is not valid JSON was skipped', '77777'), 10_000, 'the bad catalogue value to be logged')
  await until(() => skipped('cluster: a bucket entry that is not valid JSON was skipped', '77778'), 10_000, 'the bad lease value to be logged')
  t.equal(a.broker.registry.get('77777'), undefined, 'the bad catalogue entry is no session')

  // The watches go on: a session another node creates still appears here.
  const b = await startNode(prefix, 'b')
  t.teardown(async () => { await b.stop() })
  const cb = await TestClient.connect(b.port)
  t.teardown(() => { cb.close() })
  const made = await cb.request({ '@type': 'broker.createSession', attach: false }, 30_000)
  const other = made.session as string
  await until(() => a.broker.registry.get(other) !== undefined, 10_000, 'node a to see the session node b created')

  // A session with a client on node a: junk on its update subject is skipped, the updates after it arrive.
  const ca = await TestClient.connect(a.port)
  t.teardown(() => { ca.close() })
  const session = await ca.createSession()
  await ca.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'), 30_000)
  await login(ca, session)
  const subject = `${prefix}.updates.${session}`
  await js.publish(subject, 'not json at all')
  const h = headers()
  h.set('Tdb-Seq', '1')
  await js.publish(subject, '["no @type"]', { headers: h })
  const batch = headers()
  batch.set('Tdb-Seq', '3')
  batch.set('Tdb-Batch', '2')
  await js.publish(subject, '{"@type":"notABatch"}', { headers: batch })
  const streamSkips = (): number => a.logs.records.filter(r => r.msg === 'cluster: an update on the stream that is not valid was skipped' && r.session === session).length
  await until(() => streamSkips() === 3, 10_000, 'the three bad messages to be logged')

  const me = await ca.request({ '@type': 'getMe', '@session': session }, 30_000)
  const sent = await ca.request({ '@type': 'sendMessage', chat_id: me.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'after the junk' } }, '@session': session }, 30_000)
  t.equal(sent['@type'], 'message', 'the session still answers')
  const seen = await ca.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === session && ((m.message as Msg).content as Msg)['@type'] === 'messageText', 30_000, 'the update after the junk')
  t.ok((seen['@seq'] as number) > 0, 'an update after the junk reaches the client, with its @seq')
})

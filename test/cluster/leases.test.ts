/**
 * Leases: two nodes racing for one session get one lease and one TDLib
 * client; a node cut off from NATS (its connection stalled by a relay, the
 * process alive) closes its session before its lease can expire, and the
 * other node takes the session only after that.
 */
import t from 'tap'
import type { ClusterRegistry } from '../../src/cluster/cluster-registry.js'
import type { TestBroker } from '../helpers/broker.js'
import type { Msg } from '../helpers/client.js'
import { startNats, startRelay, twoNodes, twoNodesAndSession, until } from './helpers.js'

const nodeOf = (b: TestBroker) => (b.broker.registry as ClusterRegistry).node
const starts = (b: TestBroker, session: string) => b.logs.records.filter(r => r.msg === 'session starting' && r.session === session)

t.test('two nodes racing to start one session: one lease, one TDLib client', async t => {
  const { a, b, ca, cb } = await twoNodes(t)
  const made = await ca.request({ '@type': 'broker.createSession', attach: false }, 30_000)
  const session = made.session as string
  await until(() => b.broker.registry.get(session) !== undefined, 10_000, 'the session on node b')

  // Both nodes try to take the lease at once, each for itself.
  const owners = [a, b].map(n => (nodeOf(n) as unknown as { owner: { own(id: string, from: string): Promise<void> } }).owner)
  const results = await Promise.allSettled(owners.map(async (o, i) => { await o.own(session, i === 0 ? 'a' : 'b') }))
  t.equal(results.filter(r => r.status === 'fulfilled').length, 1, 'exactly one node got the lease')
  const refused = results.find(r => r.status === 'rejected')
  t.match((refused as PromiseRejectedResult | undefined)?.reason?.message, /lease is held by node/, 'the other was told who holds it')
  t.equal(starts(a, session).length + starts(b, session).length, 1, 'exactly one TDLib client was opened')

  // Clients attaching through both nodes at once use that one session.
  const [ra, rb] = await Promise.all([ca.request({ '@type': 'broker.attachSession', session }, 30_000), cb.request({ '@type': 'broker.attachSession', session }, 30_000)])
  t.same([ra['@type'], rb['@type']], ['broker.attached', 'broker.attached'], 'both attach')
  t.equal(starts(a, session).length + starts(b, session).length, 1, 'still one TDLib client')
})

t.test('a node cut off from NATS closes its session before another node takes it', async t => {
  const nats = await startNats()
  t.teardown(async () => { await nats.stop() })
  const relay = await startRelay(nats.port)
  t.teardown(() => { relay.close() })
  // Node a reaches NATS only through the relay; node b directly.
  const { a, b, cb, session } = await twoNodesAndSession(t, { a: { servers: [relay.url], cluster: { request_timeout: 2 } }, b: { servers: [nats.url] } })
  t.equal(nodeOf(a).leaseHolder(session), 'a', 'node a runs the session')
  // A client on node b keeps wanting it, so node b starts it again once it may.
  t.equal((await cb.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached', 'attached through node b')

  relay.cut()
  const cutAt = Date.now()
  await until(() => a.logs.records.some(r => r.msg === 'session stopped' && r.session === session), 20_000, 'node a to close the session')
  await until(() => b.logs.records.some(r => r.msg === 'session owned' && r.session === session), 30_000, 'node b to take the session')
  const stoppedAt = a.logs.find(r => r.msg === 'session stopped' && r.session === session)?.time as number
  const fencedAt = a.logs.find(r => r.msg === 'lease not renewed in time: closing the session before it can expire' && r.session === session)?.time as number
  const leaseAt = b.logs.find(r => r.msg === 'session starting' && r.session === session)?.time as number
  t.ok(fencedAt !== undefined, 'node a closed it because it could not renew its lease')
  t.ok(stoppedAt < leaseAt, `node a had closed it (${stoppedAt - cutAt} ms after the cut) before node b started it (${leaseAt - cutAt} ms after)`)
  t.ok(leaseAt - cutAt >= 3000, 'node b waited for the lease to expire')

  const answer = await cb.request({ '@type': 'getAuthorizationState', '@session': session }, 30_000)
  t.equal((answer as Msg)['@type'], 'authorizationStateWaitPhoneNumber', 'node b serves the session')
})

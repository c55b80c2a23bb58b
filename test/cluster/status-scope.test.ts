/**
 * In a cluster, broker.getStatus's leases and session lists name only the
 * sessions in the asking client's scope: a client whose scope is its own
 * sessions, on either node, learns nothing of another client's session.
 */
import t from 'tap'
import { connectAs, keyClient, testKey } from '../helpers/clients.js'
import type { Msg } from '../helpers/client.js'
import { authState, twoNodes, until } from './helpers.js'

t.test('leases and session lists follow the client\'s scope', async t => {
  const keys = { owner: await testKey(), outsider: await testKey() }
  const raw = { clients: [keyClient('owner', keys.owner, { sessions: 'own' }), keyClient('outsider', keys.outsider, { sessions: 'own' })] }
  const { a, b } = await twoNodes(t, { a: { raw }, b: { raw } })
  const owner = await connectAs(a.port, 'owner', keys.owner)
  const ownerOnB = await connectAs(b.port, 'owner', keys.owner)
  const outsiderA = await connectAs(a.port, 'outsider', keys.outsider)
  const outsiderB = await connectAs(b.port, 'outsider', keys.outsider)
  t.teardown(() => { for (const c of [owner, ownerOnB, outsiderA, outsiderB]) c.close() })

  const session = await owner.createSession()
  await owner.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'), 30_000)
  const cluster = async (c: typeof owner): Promise<Msg> => (await c.request({ '@type': 'broker.getStatus' })).cluster as Msg
  const named = (status: Msg): string[] => [
    ...(status.leases as Msg[]).map(l => l.session as string),
    ...(status.sessions_owned as string[]),
    ...(status.sessions_consumed as string[])
  ]
  // Node b learns the lease from its watch: the owner's own status there shows it once it has.
  await until(async () => (await cluster(ownerOnB)).leases !== undefined && ((await cluster(ownerOnB)).leases as Msg[]).some(l => l.session === session), 10_000, 'the lease in node b\'s status')
  t.ok(named(await cluster(owner)).includes(session), 'its creator sees it on the node that runs it')
  t.ok(((await cluster(ownerOnB)).leases as Msg[]).some(l => l.session === session), 'and its lease on the other node')
  for (const [name, c] of [['a', outsiderA], ['b', outsiderB]] as const) {
    const status = await cluster(c)
    t.same(named(status), [], `another client's scope names no session on node ${name}`)
    t.same((status.nodes as Msg[]).map(n => n.node).sort(), ['a', 'b'], `it still sees both nodes from node ${name}`)
  }
})

/**
 * broker.getStatus names sessions only within the asking client's scope:
 * its flood waits are those of sessions the client may see, as
 * broker.listSessions lists only those. A client whose scope is its own
 * sessions learns nothing of another client's session from the status (the
 * cluster's leases and session lists are filtered the same way:
 * test/cluster/status-scope.test.ts).
 */
import t from 'tap'
import { connectAs, keyClient, startBroker, testKey } from '../helpers/clients.js'
import type { Msg } from '../helpers/client.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { loginSeeded } from '../helpers/sandbox-login.js'

t.test('a FLOOD_WAIT of one client\'s session is not in another client\'s status', async t => {
  const keys = { owner: await testKey(), outsider: await testKey(), operator: await testKey() }
  const now = Date.parse('2026-12-01T12:00:00Z')
  const b = await startBroker({
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'searchPublicChat'],
    tdlib: { backend: 'sandbox' },
    clients: [
      keyClient('owner', keys.owner, { sessions: 'own' }),
      keyClient('outsider', keys.outsider, { sessions: 'own' }),
      keyClient('operator', keys.operator, { sessions: 'all', may_create_sessions: false })
    ]
  }, { clock: () => now })
  t.teardown(b.stop)
  const sandbox = b.backend as SandboxBackend
  const owner = await connectAs(b.port, 'owner', keys.owner)
  const outsider = await connectAs(b.port, 'outsider', keys.outsider)
  const operator = await connectAs(b.port, 'operator', keys.operator)
  t.teardown(() => { for (const c of [owner, outsider, operator]) c.close() })

  const session = await owner.createSession()
  await loginSeeded(owner, session, sandbox.world, '15550001001')
  sandbox.faults.floodWait({ sessionId: session }, 30, 1, ['searchPublicChat'])
  const flood = await owner.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': session })
  t.equal(flood.code, 429, 'the session is under a FLOOD_WAIT')

  const waits = async (c: typeof owner): Promise<Msg[]> => (await c.request({ '@type': 'broker.getStatus' })).flood_waits as Msg[]
  t.same((await waits(owner)).map(w => w.session), [session], 'its creator sees it')
  t.same((await waits(operator)).map(w => w.session), [session], 'a client whose scope is every session sees it')
  t.same(await waits(outsider), [], 'a client whose scope is its own sessions does not')
  const listed = (await outsider.request({ '@type': 'broker.listSessions' })).sessions as Msg[]
  t.same(listed, [], 'as broker.listSessions shows it none')
})

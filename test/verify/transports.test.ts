/**
 * Issue 10 points 1 and 9 over all three transports (TCP, TLS with key
 * authentication, WebSocket), on a sandbox broker with a clients list:
 * - deep frames (the issue's line, objects 10,000 deep in a control
 *   request, broker.authenticate and a TDLib request) get FRAME_TOO_DEEP
 *   before and after authentication, and on a broker without clients;
 * - @extra comes back byte for byte on every kind of reply: control replies,
 *   the broker's errors (framing, policy, chat scope, files), TDLib's answers
 *   and TDLib's errors, and answers filtered for a chat-scoped client.
 */
import t, { type Test } from 'tap'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { startBroker, tempDir, type TestBroker } from '../helpers/broker.js'
import { keyClient, testKey, type TestKey } from '../helpers/clients.js'
import { tcpPeer, tlsPeer, wsPeer, type RawPeer } from '../helpers/raw-peer.js'
import { writeSelfSignedPair } from '../helpers/certs.js'

const ALICE = 1000001
const ISSUE_LINE = '{"@type":"broker.ping","@extra":' + '['.repeat(5000) + ']'.repeat(5000) + '}'
const DEEP = (type: string): string => `{"@type":"${type}","@session":"1","x":` + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) + '}'
const EXTRAS = ['12345678901234567890', '{"b":1.50,"a":[-0, 1e400]}', '"\\u00e9\\/"']

async function rawAnswer (peer: RawPeer, frame: string): Promise<string> {
  const before = peer.lines.length
  await peer.send([peer.kind === 'tcp' ? frame + '\n' : frame])
  const line = await peer.waitFor((_l, m) => m['@type'] !== undefined && !String(m['@type']).startsWith('update'), { from: before, what: `the answer to ${frame.slice(0, 80)}` })
  if (line === undefined) throw new Error(`${peer.kind}: closed without answering ${frame.slice(0, 80)}`)
  return line
}

type Connect = () => Promise<RawPeer>

async function broker (withClients: boolean, keys: { full: TestKey, desk: TestKey }): Promise<{ b: TestBroker, connectors: Array<[string, Connect]> }> {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    websocket: { host: '127.0.0.1', port: 0 },
    tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', verify_clients: false },
    allowed_requests: ['testSquareInt', 'testReturnError', 'getChat', 'getMe', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'searchPublicChat'],
    ...(withClients
      ? {
          clients: [
            keyClient('full', keys.full),
            keyClient('desk', keys.desk, { allowed_requests: ['getChat', 'getMe', 'testSquareInt'], sessions: 'all', may_create_sessions: false, chats: [ALICE] })
          ]
        }
      : {})
  }, { dir })
  const ws = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
  const tlsPort = b.broker.addresses.tls?.port ?? 0
  return {
    b,
    connectors: [
      ['TCP', async () => await tcpPeer(b.port)],
      ['TLS', async () => await tlsPeer(tlsPort, { ca: pair.cert })],
      ['WebSocket', async () => await wsPeer(ws)]
    ]
  }
}

async function authenticate (p: RawPeer, name: string, key: TestKey): Promise<void> {
  const answer = JSON.parse(await rawAnswer(p, JSON.stringify({ '@type': 'broker.authenticate', name, key: key.key }))) as Record<string, unknown>
  if (answer['@type'] !== 'broker.authenticated') throw new Error(`authentication failed: ${JSON.stringify(answer)}`)
}

async function deepCases (t: Test, p: RawPeer, label: string): Promise<void> {
  t.match(JSON.parse(await rawAnswer(p, ISSUE_LINE)).message, /^FRAME_TOO_DEEP: /, `${label}: the issue's line`)
  for (const type of ['broker.ping', 'broker.authenticate', 'testSquareInt']) {
    t.match(JSON.parse(await rawAnswer(p, DEEP(type))).message, /^FRAME_TOO_DEEP: /, `${label}: ${type} 10,000 deep`)
  }
  t.equal(await rawAnswer(p, '{"@type":"broker.ping","@extra":{"k":1.50},"x":' + '['.repeat(70) + ']'.repeat(70) + '}'),
    '{"@type":"error","code":400,"message":"FRAME_TOO_DEEP: objects and arrays are nested 71 levels deep; at most 64 are allowed","@extra":{"k":1.50}}',
    `${label}: a refused deep frame keeps a shallow @extra as written`)
}

for (const withClients of [true, false]) {
  t.test(`deep frames on TCP, TLS and WebSocket (${withClients ? 'clients list' : 'no clients list'})`, async t => {
    const keys = { full: await testKey(), desk: await testKey() }
    const { b, connectors } = await broker(withClients, keys)
    t.teardown(b.stop)
    for (const [name, connect] of connectors) {
      const p = await connect()
      t.teardown(() => { p.close() })
      await deepCases(t, p, `${name}${withClients ? ', unauthenticated' : ''}`)
      if (withClients) {
        await authenticate(p, 'full', keys.full)
        await deepCases(t, p, `${name}, authenticated`)
      }
      const fresh = await connect()
      t.equal(JSON.parse(await rawAnswer(fresh, '{"@type":"broker.ping"}'))['@type'], 'broker.pong', `${name}: a new connection is served`)
      fresh.close()
      t.same(p.invalid, [], `${name}: every line was one JSON object`)
    }
  })
}

t.test('@extra byte for byte on every kind of reply, on TCP, TLS and WebSocket', async t => {
  const keys = { full: await testKey(), desk: await testKey() }
  const { b, connectors } = await broker(true, keys)
  t.teardown(b.stop)
  const sandbox = b.backend as SandboxBackend
  // One logged-in session (Bob's) that knows Alice's chat.
  const setup = await connectors[0]![1]()
  t.teardown(() => { setup.close() })
  await authenticate(setup, 'full', keys.full)
  const session = (JSON.parse(await rawAnswer(setup, '{"@type":"broker.createSession"}')) as { session: string }).session
  await setup.waitFor((_l, m) => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as Record<string, unknown>)['@type'] === 'authorizationStateWaitPhoneNumber', { what: 'wait phone' })
  await rawAnswer(setup, JSON.stringify({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550001001', '@session': session }))
  await rawAnswer(setup, JSON.stringify({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode('15550001001'), '@session': session }))
  await setup.waitFor((_l, m) => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as Record<string, unknown>)['@type'] === 'authorizationStateReady', { what: 'ready' })

  for (const [name, connect] of connectors) {
    const full = await connect()
    const desk = await connect()
    t.teardown(() => { full.close(); desk.close() })
    await authenticate(full, 'full', keys.full)
    await authenticate(desk, 'desk', keys.desk)
    await rawAnswer(full, `{"@type":"broker.attachSession","session":"${session}"}`)
    await rawAnswer(desk, `{"@type":"broker.attachSession","session":"${session}"}`)
    let checked = 0
    for (const extra of EXTRAS) {
      const cases: Array<[RawPeer, string, RegExp]> = [
        [full, `{"@type":"broker.attachSession","session":"${session}","@extra":${extra}}`, /^\{"@type":"broker\.attached",/],
        [full, `{"@type":"broker.listSessions","@extra":${extra}}`, /^\{"@type":"broker\.sessions",/],
        [full, `{"@type":"broker.uploadFile","session":"${session}","data":"eA==","@extra":${extra}}`, /^\{"@type":"broker\.fileUploaded",/],
        [full, `{"@type":"broker.readFile","session":"${session}","file_id":1,"@extra":${extra}}`, /INVALID_REQUEST: count/],
        [full, `{"@type":"broker.uploadFile","session":"${session}","data":"A","@extra":${extra}}`, /INVALID_REQUEST: data/],
        [full, `{"@type":"getOption","name":"version","@session":"${session}","@extra":${extra}}`, /REQUEST_NOT_ALLOWED/],
        [full, `{"@type":"testSquareInt","x":4,"@session":"${session}","@extra":${extra}}`, /^\{"@type":"testInt","value":16,/],
        [full, `{"@type":"testReturnError","error":{"@type":"error","code":418,"message":"teapot"},"@session":"${session}","@extra":${extra}}`, /^\{"@type":"error","code":418,"message":"teapot",/],
        [full, `{"@type":"getChat","chat_id":"x","@session":"${session}","@extra":${extra}}`, /"@type":"error"/],
        [full, `{"@type":"getChat","chat_id":${ALICE},"@session":"${session}","@extra":${extra}}`, /^\{"@type":"chat",/],
        [desk, `{"@type":"getChat","chat_id":${ALICE},"@session":"${session}","@extra":${extra}}`, /^\{"@type":"chat",/],
        [desk, `{"@type":"getChat","chat_id":1000004,"@session":"${session}","@extra":${extra}}`, /CHAT_NOT_ALLOWED/],
        [desk, `{"@type":"getMe","@session":"${session}","@extra":${extra}}`, /"@type":"(user|error)"/],
        [desk, `{"@type":"broker.createSession","@extra":${extra}}`, /SESSION_CREATE_NOT_ALLOWED/],
        [desk, `{"@type":"testSquareInt","x":2,"@extra":${extra}}`, /MISSING_SESSION/]
      ]
      for (const [peer, frame, shape] of cases) {
        const got = await rawAnswer(peer, frame)
        t.match(got, shape, `${name}: ${frame.slice(0, 70)} → ${got.slice(0, 100)}`)
        t.ok(got.includes(`"@extra":${extra}`) && got.split('"@extra":').length === 2, `${name}: @extra ${extra} as written in ${got.slice(-120)}`)
        checked++
      }
    }
    t.equal(checked, EXTRAS.length * 15, `${name}: every case ran`)
  }
})

/**
 * Issue 10 point 1: a 10 KB line nested 5000 deep used to overflow the
 * stack in replyLine and end the process. Every frame's nesting is bounded
 * before anything walks it; the refusal is FRAME_TOO_DEEP and the broker
 * carries on, on TCP, TLS and WebSocket, authenticated or not.
 */
import t from 'tap'
import { keyClient, testKey } from '../helpers/clients.js'
import { startBroker, tempDir, type TestBroker } from '../helpers/broker.js'
import { tcpPeer, tlsPeer, wsPeer, type RawPeer } from '../helpers/raw-peer.js'
import { writeSelfSignedPair } from '../helpers/certs.js'

const ISSUE_LINE = '{"@type":"broker.ping","@extra":' + '['.repeat(5000) + ']'.repeat(5000) + '}'
const DEEP_OBJECTS = (type: string): string => `{"@type":"${type}","@session":"1","x":` + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) + '}'

type Connect = () => Promise<RawPeer>

function connectors (b: TestBroker): Array<[string, Connect]> {
  const ws = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
  return [['TCP', async () => await tcpPeer(b.port)], ['WebSocket', async () => await wsPeer(ws)]]
}

/** Sends one frame (with a newline on TCP) and returns the first answer. */
async function answer (peer: RawPeer, frame: string): Promise<Record<string, unknown>> {
  const before = peer.lines.length
  await peer.send([peer.kind === 'tcp' ? frame + '\n' : frame])
  const line = await peer.waitFor((_l, m) => m['@type'] !== undefined, { from: before, what: 'the answer' })
  if (line === undefined) throw new Error(`${peer.kind}: the connection closed without an answer`)
  return JSON.parse(line) as Record<string, unknown>
}

/** A fresh connection's broker.ping is answered: the broker is alive. */
async function alive (connect: Connect): Promise<boolean> {
  const p = await connect()
  try {
    return (await answer(p, '{"@type":"broker.ping","@extra":"alive"}'))['@type'] === 'broker.pong'
  } finally { p.close() }
}

for (const withClients of [false, true]) {
  t.test(`deep frames get FRAME_TOO_DEEP and the broker carries on (${withClients ? 'clients list, unauthenticated' : 'no clients list'})`, async t => {
    const clients = withClients ? [keyClient('svc', await testKey())] : undefined
    const b = await startBroker({ websocket: { host: '127.0.0.1', port: 0 }, ...(clients === undefined ? {} : { clients }) })
    t.teardown(b.stop)
    for (const [name, connect] of connectors(b)) {
      const p = await connect()
      t.teardown(() => { p.close() })
      const r = await answer(p, ISSUE_LINE)
      t.equal(r['@type'], 'error', `${name}: the issue line is answered`)
      t.equal(r.code, 400)
      t.match(r.message, /^FRAME_TOO_DEEP: objects and arrays are nested 5001 levels deep; at most 64 are allowed$/)
      t.notOk(Object.hasOwn(r, '@extra'), `${name}: the deep @extra is not echoed`)
      for (const type of ['broker.ping', 'broker.authenticate', 'testSquareInt']) {
        const deep = await answer(p, DEEP_OBJECTS(type))
        t.match(deep.message, /^FRAME_TOO_DEEP: /, `${name}: ${type} with objects 10,000 deep`)
      }
      const kept = await answer(p, '{"@type":"broker.ping","@extra":{"id":7},"pad":' + '['.repeat(65) + ']'.repeat(65) + '}')
      t.match(kept.message, /^FRAME_TOO_DEEP: /, `${name}: one level too deep`)
      t.same(kept['@extra'], { id: 7 }, `${name}: a shallow @extra comes with the refusal`)
      const limit = await answer(p, '{"@type":"broker.ping","@extra":' + '['.repeat(63) + ']'.repeat(63) + '}')
      t.equal(limit['@type'], 'broker.pong', `${name}: 64 levels are accepted`)
      t.equal((await answer(p, '{"@type":"broker.ping","@extra":1}'))['@type'], 'broker.pong', `${name}: the same connection still works`)
      t.notOk(p.closed, `${name}: and stays open`)
      t.ok(await alive(connect), `${name}: a new connection is served`)
      t.same(p.invalid, [], `${name}: every answer was one JSON object`)
    }
  })
}

t.test('the issue line over TLS gets FRAME_TOO_DEEP; the broker carries on', async t => {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const b = await startBroker({ tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' } }, { dir })
  t.teardown(b.stop)
  const connect: Connect = async () => await tlsPeer(b.broker.addresses.tls?.port ?? 0, { cert: pair.cert, key: pair.key, ca: pair.cert })
  const p = await connect()
  t.teardown(() => { p.close() })
  t.match((await answer(p, ISSUE_LINE)).message, /^FRAME_TOO_DEEP: /)
  t.equal((await answer(p, '{"@type":"broker.ping","@extra":1}'))['@type'], 'broker.pong', 'the same connection still works')
  t.ok(await alive(connect), 'a new connection is served')
})

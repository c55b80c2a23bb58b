/**
 * Issue 10 point 5 across listeners: the connection caps count TCP, TLS and
 * WebSocket connections together, and the authentication deadline and the
 * idle timeout close WebSocket and TLS connections too (the limits tests
 * prove each on TCP).
 */
import t from 'tap'
import { once } from 'node:events'
import { WebSocket } from 'ws'
import { startBroker, tempDir } from '../helpers/broker.js'
import { keyClient, testKey } from '../helpers/clients.js'
import { tcpPeer, tlsPeer, wsPeer, type RawPeer } from '../helpers/raw-peer.js'
import { writeSelfSignedPair } from '../helpers/certs.js'

async function listeners (raw: Record<string, unknown>): Promise<{ wsUrl: string, stop: () => Promise<void>, tcp: () => Promise<RawPeer>, tls: () => Promise<RawPeer>, ws: () => Promise<RawPeer> }> {
  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir)
  const b = await startBroker({
    ...raw,
    websocket: { host: '127.0.0.1', port: 0 },
    tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', verify_clients: false }
  }, { dir })
  return {
    stop: b.stop,
    tcp: async () => await tcpPeer(b.port),
    tls: async () => await tlsPeer(b.broker.addresses.tls?.port ?? 0, { ca: pair.cert }),
    ws: async () => await wsPeer(`ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`),
    wsUrl: `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
  }
}

const firstError = async (p: RawPeer, what: string): Promise<Record<string, unknown>> => {
  const line = await p.waitFor((_l, m) => m['@type'] === 'error', { timeoutMs: 10_000, what })
  if (line === undefined) throw new Error(`closed without ${what}`)
  return JSON.parse(line) as Record<string, unknown>
}

const pong = async (p: RawPeer): Promise<boolean> => {
  const from = p.lines.length
  await p.send([p.kind === 'tcp' ? '{"@type":"broker.ping"}\n' : '{"@type":"broker.ping"}'])
  return (await p.waitFor((_l, m) => m['@type'] === 'broker.pong', { from, what: 'pong' })) !== undefined
}

t.test('max_connections_per_address and max_connections count every listener together', async t => {
  for (const [setting, name] of [['max_connections_per_address', 'TOO_MANY_CONNECTIONS_PER_ADDRESS'], ['max_connections', 'TOO_MANY_CONNECTIONS']] as const) {
    const l = await listeners({ [setting]: 2 })
    const tcp = await l.tcp()
    const ws = await l.ws()
    t.ok(await pong(tcp) && await pong(ws), `${setting}: a TCP and a WebSocket connection are served`)
    for (const [kind, next] of [['TLS', l.tls], ['TCP', l.tcp]] as const) {
      const extra = await next()
      const m = await firstError(extra, name)
      t.match(m.message, new RegExp(`^${name}: `), `${setting}: a third (${kind}) is refused`)
      extra.close()
    }
    // The refusal is the first message, sent right after the upgrade: listen before 'open' (wsPeer listens after it).
    const raw = new WebSocket(l.wsUrl)
    const [first] = await once(raw, 'message') as [Buffer]
    t.match(JSON.parse(first.toString()).message, new RegExp(`^${name}: `), `${setting}: a third (WebSocket) is refused`)
    await once(raw, 'close')
    tcp.close(); ws.close()
    await l.stop()
  }
})

t.test('auth_timeout and idle_timeout close TLS and WebSocket connections too', async t => {
  const l = await listeners({ clients: [keyClient('svc', await testKey())], auth_timeout: 0.3 })
  t.teardown(l.stop)
  for (const [kind, connect] of [['TLS', l.tls], ['WebSocket', l.ws]] as const) {
    const p = await connect()
    const m = await firstError(p, 'AUTH_TIMEOUT')
    t.match(m.message, /^AUTH_TIMEOUT: /, `${kind}: AUTH_TIMEOUT`)
    p.close()
  }
  const idle = await listeners({ idle_timeout: 0.3 })
  t.teardown(idle.stop)
  for (const [kind, connect] of [['TLS', idle.tls], ['WebSocket', idle.ws]] as const) {
    const p = await connect()
    const m = await firstError(p, 'IDLE_TIMEOUT')
    t.match(m.message, /^IDLE_TIMEOUT: /, `${kind}: IDLE_TIMEOUT`)
    p.close()
  }
})

t.test('the raw WebSocket helper sees a refusal sent right after the upgrade', async t => {
  const l = await listeners({ max_connections: 1 })
  t.teardown(l.stop)
  const held = await l.tcp()
  t.teardown(() => { held.close() })
  const p = await l.ws()
  const m = await firstError(p, 'TOO_MANY_CONNECTIONS')
  t.match(m.message, /^TOO_MANY_CONNECTIONS: /)
})

/**
 * Issue 10 point 9: @extra comes back exactly as the client wrote it, in
 * every kind of answer (control replies, broker errors, TDLib answers), on
 * TCP and WebSocket. The answers are compared as received text.
 */
import t from 'tap'
import { keyClient, testKey } from '../helpers/clients.js'
import { startBroker } from '../helpers/broker.js'
import { tcpPeer, wsPeer, type RawPeer } from '../helpers/raw-peer.js'

/** Values whose text JSON.parse + JSON.stringify would change. */
const EXTRAS = [
  '12345678901234567890', '-9007199254740993', '1.50', '1e400', '-0', '0.1e-999',
  '{"b":1,"a":[12345678901234567890, 2.0]}', '"\\u00e9\\/\\ud800"', '[ true ,\tnull ]', '{}'
]

/** Sends `frame` and returns the raw text of the next answer (updates skipped). */
async function rawAnswer (peer: RawPeer, frame: string): Promise<string> {
  const before = peer.lines.length
  await peer.send([peer.kind === 'tcp' ? frame + '\n' : frame])
  const line = await peer.waitFor((_l, m) => m['@type'] !== undefined && !String(m['@type']).startsWith('update'), { from: before, what: `the answer to ${frame}` })
  if (line === undefined) throw new Error(`${peer.kind}: closed without answering ${frame}`)
  return line
}

t.test('@extra is returned as written: control replies, broker errors and TDLib answers, TCP and WebSocket', async t => {
  const b = await startBroker({ websocket: { host: '127.0.0.1', port: 0 } })
  t.teardown(b.stop)
  const tcp = await tcpPeer(b.port)
  const ws = await wsPeer(`ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`)
  t.teardown(() => { tcp.close(); ws.close() })
  for (const peer of [tcp, ws]) {
    const created = JSON.parse(await rawAnswer(peer, '{"@type":"broker.createSession","@extra":"s"}')) as Record<string, unknown>
    const session = created.session as string
    for (const extra of EXTRAS) {
      const cases: Array<[string, string]> = [
        [`{"@type":"broker.ping","@extra":${extra}}`, `{"@type":"broker.pong","@extra":${extra}}`],
        [`{"@extra":${extra},"@type":"broker.nope"}`, `"@extra":${extra}}`],
        [`{"@extra":${extra}}`, `{"@type":"error","code":400,"message":"MISSING_TYPE: @type must be a non-empty string, got nothing","@extra":${extra}}`],
        [`{"@type":"testSquareInt","x":3,"@extra":${extra}}`, `"message":"MISSING_SESSION: testSquareInt names no @session","@extra":${extra}}`],
        [`{"@type":"testSquareInt","x":3,"@session":"${session}","@extra":${extra}}`, `{"@type":"testInt","value":9,"@extra":${extra},"@session":"${session}"}`]
      ]
      for (const [frame, expected] of cases) {
        const got = await rawAnswer(peer, frame)
        if (!got.endsWith(expected)) t.fail(`${peer.kind}: ${frame}\n  got  ${got}\n  want …${expected}`)
      }
    }
    t.pass(`${peer.kind}: ${EXTRAS.length * 5} answers carried @extra byte for byte`)
    t.equal(await rawAnswer(peer, '{"@type":"broker.ping","@extra":1,"@extra":"last"}'), '{"@type":"broker.pong","@extra":"last"}', `${peer.kind}: of duplicate keys the last wins`)
    t.equal(await rawAnswer(peer, '{"@type":"broker.ping","\\u0040extra":12345678901234567890}'), '{"@type":"broker.pong","@extra":12345678901234567890}', `${peer.kind}: an escaped key`)
    t.equal(await rawAnswer(peer, '{"@type":"broker.ping","@extra":[1,\r2]}'), '{"@type":"broker.pong","@extra":[1, 2]}', `${peer.kind}: a \\r between tokens becomes a space`)
    t.same(peer.invalid, [])
  }
  t.equal(await rawAnswer(ws, '{"@type":"broker.ping","@extra":[1,\n2]}'), '{"@type":"broker.pong","@extra":[1, 2]}', 'a line break inside a WebSocket message becomes a space')
})

t.test('@extra is returned as written before authentication', async t => {
  const b = await startBroker({ clients: [keyClient('svc', await testKey())] })
  t.teardown(b.stop)
  const p = await tcpPeer(b.port)
  t.teardown(() => { p.close() })
  t.equal(await rawAnswer(p, '{"@type":"broker.ping","@extra":12345678901234567890}'), '{"@type":"broker.pong","@extra":12345678901234567890}')
  const refused = await rawAnswer(p, '{"@type":"testSquareInt","x":1,"@extra":12345678901234567890}')
  t.match(refused, /^\{"@type":"error","code":401,"message":"AUTH_REQUIRED: .*","@extra":12345678901234567890\}$/)
})

/**
 * The PROXY protocol on the plain listener: the header parser (v1 and v2),
 * and on a real broker, the client's address taken from a trusted peer's
 * header for the log, the per-address cap and the throttle, while headers
 * from untrusted peers are not believed.
 */
import { networkInterfaces } from 'node:os'
import t from 'tap'
import { parseProxyHeader, trustedPeers } from '../../src/server/proxy-protocol.js'
import { startBroker } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'
import { errorName, keyClient, testKey } from '../helpers/clients.js'

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])

function v2 (command: number, family: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4)
  head[0] = 0x20 | command
  head[1] = family
  head.writeUInt16BE(body.length, 2)
  return Buffer.concat([SIG, head, body])
}

function v2ipv4 (src: number[], srcPort: number): Buffer {
  const body = Buffer.alloc(12)
  Buffer.from(src).copy(body, 0)
  Buffer.from([127, 0, 0, 1]).copy(body, 4)
  body.writeUInt16BE(srcPort, 8)
  body.writeUInt16BE(23456, 10)
  return v2(1, 0x11, body)
}

t.test('the parser: v1 and v2 headers, partial input, and what is no header', async t => {
  const v1 = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 40000 23456\r\n{"@type":"broker.ping"}\n')
  t.same(parseProxyHeader(v1), { kind: 'header', length: 45, source: { address: '203.0.113.7', port: 40000 } })
  t.same(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 ::1 40001 23456\r\n')), { kind: 'header', length: 40, source: { address: '2001:db8::7', port: 40001 } })
  t.same(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'header', length: 15 }, 'UNKNOWN: the peer itself')
  t.same(parseProxyHeader(Buffer.from('PRO')), { kind: 'incomplete' })
  t.same(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7')), { kind: 'incomplete' })
  t.match(parseProxyHeader(Buffer.from('PROXY TCP4 ' + 'x'.repeat(120))), { kind: 'invalid', reason: /107 bytes/ })
  t.match(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.999 10.0.0.1 40000 23456\r\n')), { kind: 'invalid' })
  t.match(parseProxyHeader(Buffer.from('PROXY TCP6 203.0.113.7 10.0.0.1 40000 23456\r\n')), { kind: 'invalid' }, 'the family must match the address')
  t.match(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 99999 23456\r\n')), { kind: 'invalid' })
  t.same(parseProxyHeader(Buffer.from('{"@type":"broker.ping"}\n')), { kind: 'none' }, 'a JSON line is no header')
  t.same(parseProxyHeader(Buffer.from('P{')), { kind: 'none' })

  t.same(parseProxyHeader(v2ipv4([198, 51, 100, 9], 50000)), { kind: 'header', length: 28, source: { address: '198.51.100.9', port: 50000 } })
  const six = Buffer.alloc(36)
  six.writeUInt16BE(0x2001, 0); six.writeUInt16BE(0x0db8, 2); six.writeUInt16BE(7, 14)
  six.writeUInt16BE(1, 30) // destination ::1
  six.writeUInt16BE(50001, 32); six.writeUInt16BE(23456, 34)
  t.same(parseProxyHeader(v2(1, 0x21, six)), { kind: 'header', length: 52, source: { address: '2001:db8::7', port: 50001 } })
  t.same(parseProxyHeader(v2(0, 0, Buffer.alloc(0))), { kind: 'header', length: 16 }, 'LOCAL: the proxy itself')
  t.same(parseProxyHeader(v2ipv4([198, 51, 100, 9], 50000).subarray(0, 20)), { kind: 'incomplete' })
  t.same(parseProxyHeader(SIG.subarray(0, 5)), { kind: 'incomplete' })
  const badVersion = Buffer.from(v2ipv4([1, 2, 3, 4], 1)); badVersion[12] = 0x11
  t.match(parseProxyHeader(badVersion), { kind: 'invalid', reason: /version/ })
  const huge = Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])])
  t.match(parseProxyHeader(huge), { kind: 'invalid', reason: /more than 1024 bytes/ })
})

t.test('trusted peers: loopback always, plus listed addresses and ranges', async t => {
  const trusted = trustedPeers(['172.16.0.0/12', '10.1.2.3', 'fd00::/8'])
  for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '172.20.0.5', '10.1.2.3', 'fd12::1', '::ffff:172.16.0.1']) t.ok(trusted(a), `${a} is trusted`)
  for (const a of ['172.32.0.1', '10.1.2.4', '203.0.113.7', '2001:db8::1', '']) t.notOk(trusted(a), `${a} is not`)
  t.throws(() => trustedPeers(['172.16.0.0/33']), /proxy_protocol_trusted: "172.16.0.0\/33" is not an IP address or a CIDR range/)
  t.throws(() => trustedPeers(['nginx']), /"nginx" is not an IP address/)
  await t.rejects(startBroker({ proxy_protocol: true, proxy_protocol_trusted: ['nope'] }), /proxy_protocol_trusted: "nope"/, 'a broker with a bad entry does not start')
})

/** The address the broker logged for its newest connection. */
const lastRemote = (logs: { records: Array<Record<string, unknown>> }): unknown => logs.records.filter(r => r.msg === 'client connected').at(-1)?.remote

t.test('a trusted peer: the header names the client, everywhere the broker uses its address', async t => {
  const key = await testKey()
  const b = await startBroker({ proxy_protocol: true, max_connections_per_address: 1, clients: [keyClient('svc', key)] }, { authThrottle: { baseDelayMs: 20 } })
  t.teardown(b.stop)

  const c1 = await TestClient.connect(b.port)
  c1.sendRaw('PROXY TCP4 203.0.113.7 127.0.0.1 40000 23456\r\n{"@type":"broker.ping","@extra":1}\n')
  t.match(await c1.waitFor(m => m['@extra'] === 1), { '@type': 'broker.pong' }, 'the request after the header is answered')
  t.equal(lastRemote(b.logs), '203.0.113.7:40000', 'the log names the client, not the proxy')

  const c2 = await TestClient.connect(b.port)
  c2.sendRaw('PROXY TCP4 198.51.')
  await new Promise(resolve => setImmediate(resolve))
  c2.sendRaw('100.9 127.0.0.1 40001 23456\r')
  await new Promise(resolve => setImmediate(resolve))
  c2.sendRaw('\n{"@type":"broker.ping","@extra":2}\n')
  t.match(await c2.waitFor(m => m['@extra'] === 2), { '@type': 'broker.pong' }, 'a header split over writes')
  t.equal(lastRemote(b.logs), '198.51.100.9:40001', 'max_connections_per_address counts clients, not the proxy: the second is accepted')

  const c3 = await TestClient.connect(b.port)
  c3.sendRaw('PROXY TCP4 203.0.113.7 127.0.0.1 40002 23456\r\n')
  const refused = await c3.waitFor(() => true)
  t.equal(errorName(refused), 'TOO_MANY_CONNECTIONS_PER_ADDRESS')
  t.match(refused.message, /address 203\.0\.113\.7 already has 1/, 'a second connection of one client is refused by its own address')
  await c3.closedPromise

  const c4 = await TestClient.connect(b.port)
  c4.socket.write(Buffer.concat([v2ipv4([192, 0, 2, 44], 50000), Buffer.from('{"@type":"broker.authenticate","name":"svc","key":"tdbk_wrong","@extra":3}\n')]))
  t.equal(errorName(await c4.waitFor(m => m['@extra'] === 3)), 'AUTH_FAILED')
  t.equal(b.broker.authThrottle.failures('192.0.2.44'), 1, 'the throttle counts the failure against the client address (v2 header)')
  t.equal(b.broker.authThrottle.failures('127.0.0.1'), 0, 'not against the proxy')
  t.match(b.logs.records.filter(r => r.audit === 'auth.failed').at(-1), { address: '192.0.2.44' }, 'and the audit says so')

  const direct = await TestClient.connect(b.port)
  t.equal((await direct.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'a trusted peer without a header (the status command) is served as itself')
  t.match(lastRemote(b.logs), /^127\.0\.0\.1:\d+$/)

  const broken = await TestClient.connect(b.port)
  broken.sendRaw('PROXY TCP4 not-an-address 127.0.0.1 1 2\r\n{"@type":"broker.ping"}\n')
  await broken.closedPromise
  t.same(broken.received, [], 'a malformed header from a trusted peer: dropped without an answer')
  t.ok(b.logs.find(r => r.msg === 'connection from a trusted proxy dropped' && /malformed PROXY protocol header/.test(String(r.err))), 'and logged')
  for (const c of [c1, c2, direct]) c.close()
})

const IGNORED = /^a PROXY protocol header was ignored: set proxy_protocol/

t.test('proxy_protocol off: a header is not believed, but dropped with a warning so the clients are still served', async t => {
  const b = await startBroker({})
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  c.sendRaw('PROXY TCP4 203.0.113.7 127.0.0.1 40000 23456\r\n{"@type":"broker.ping","@extra":1}\n')
  t.match(await c.waitFor(m => m['@extra'] === 1), { '@type': 'broker.pong' })
  t.same(c.received.map(m => m['@type']), ['broker.pong'], 'no error for the header')
  t.match(lastRemote(b.logs), /^127\.0\.0\.1:\d+$/, 'the connection keeps the peer address')
  t.ok(b.logs.find(r => IGNORED.test(r.msg)), 'the operator is told what to set')
  c.sendRaw('PROXY TCP4 203.0.113.7 127.0.0.1 40000 23456\r\n')
  t.equal(errorName(await c.waitFor(m => m['@type'] === 'error')), 'MALFORMED_JSON', 'only the first line can be a header')
  c.close()
})

const external = Object.values(networkInterfaces()).flat().find(i => i !== undefined && i.family === 'IPv4' && !i.internal)?.address

t.test('an untrusted peer: its header is not believed; listing it in proxy_protocol_trusted makes it trusted', { skip: external === undefined ? 'no non-loopback IPv4 address on this host' : false }, async t => {
  const address = external as string
  const line = 'PROXY TCP4 203.0.113.7 127.0.0.1 40000 23456\r\n{"@type":"broker.ping","@extra":1}\n'
  const untrusted = await startBroker({ host: '0.0.0.0', allow_public_plain: true, proxy_protocol: true })
  t.teardown(untrusted.stop)
  const c = await TestClient.connect(untrusted.port, address, address)
  c.sendRaw(line)
  t.match(await c.waitFor(m => m['@extra'] === 1), { '@type': 'broker.pong' })
  t.ok(untrusted.logs.find(r => IGNORED.test(r.msg)), `from ${address} the header is ignored`)
  t.equal(lastRemote(untrusted.logs), `${address}:${c.socket.localPort ?? ''}`, 'and the connection keeps its real address')
  c.close()

  const trusting = await startBroker({ host: '0.0.0.0', allow_public_plain: true, proxy_protocol: true, proxy_protocol_trusted: [`${address}/32`] })
  t.teardown(trusting.stop)
  const d = await TestClient.connect(trusting.port, address, address)
  d.sendRaw(line)
  t.match(await d.waitFor(m => m['@extra'] === 1), { '@type': 'broker.pong' })
  t.equal(lastRemote(trusting.logs), '203.0.113.7:40000', 'a listed peer is believed')
  d.close()
})

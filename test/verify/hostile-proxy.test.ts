/**
 * Hostile PROXY protocol headers from a trusted peer (loopback) with
 * proxy_protocol on: cut short, oversize, a wrong version, a forged source
 * that is no address, a v2 header announcing a huge body, bytes split at
 * every point. None may end the broker; each connection is either served
 * (with the header's address or its own) or dropped, and a fresh connection
 * is served after every case.
 */
import t from 'tap'
import net from 'node:net'
import { startBroker } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
const v2 = (vc: number, fam: number, len: number, body: Buffer): Buffer => {
  const h = Buffer.alloc(16); SIG.copy(h); h[12] = vc; h[13] = fam; h.writeUInt16BE(len, 14)
  return Buffer.concat([h, body])
}
const PING = Buffer.from('{"@type":"broker.ping","@extra":"p"}\n')
const CASES: Array<[string, Buffer]> = [
  ['v1 cut short, then the line', Buffer.concat([Buffer.from('PROXY TCP4 1.2.3.4'), PING])],
  ['v1 without CRLF, 200 bytes', Buffer.from('PROXY ' + 'A'.repeat(200))],
  ['v1 with a bad address', Buffer.concat([Buffer.from('PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\n'), PING])],
  ['v1 with a bad port', Buffer.concat([Buffer.from('PROXY TCP4 1.2.3.4 127.0.0.1 99999 2\r\n'), PING])],
  ['v1 TCP6 with an IPv4 source', Buffer.concat([Buffer.from('PROXY TCP6 1.2.3.4 ::1 1 2\r\n'), PING])],
  ['v1 UNKNOWN', Buffer.concat([Buffer.from('PROXY UNKNOWN\r\n'), PING])],
  ['v1 NUL bytes', Buffer.concat([Buffer.from('PROXY TCP4 1.2.3.4\u0000 127.0.0.1 1 2\r\n'), PING])],
  ['v2 version 3', Buffer.concat([v2(0x31, 0x11, 12, Buffer.alloc(12)), PING])],
  ['v2 command 5', Buffer.concat([v2(0x25, 0x11, 12, Buffer.alloc(12)), PING])],
  ['v2 body 65535 announced, 10 sent', v2(0x21, 0x11, 65535, Buffer.alloc(10))],
  ['v2 IPv4 body too short', Buffer.concat([v2(0x21, 0x11, 4, Buffer.alloc(4)), PING])],
  ['v2 IPv6 body too short', Buffer.concat([v2(0x21, 0x21, 12, Buffer.alloc(12)), PING])],
  ['v2 unknown family', Buffer.concat([v2(0x21, 0x77, 12, Buffer.alloc(12)), PING])],
  ['v2 LOCAL', Buffer.concat([v2(0x20, 0x00, 0, Buffer.alloc(0)), PING])],
  ['v2 signature only', SIG],
  ['no header at all', PING]
]

/** Writes `bytes` in `parts` pieces, then waits until the socket closes or answers, bounded. */
async function tryBytes (port: number, bytes: Buffer, parts: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  let text = ''
  socket.on('data', d => { text += d.toString() })
  await new Promise<void>(resolve => socket.once('connect', resolve))
  const size = Math.ceil(bytes.length / parts)
  for (let i = 0; i < bytes.length; i += size) {
    socket.write(bytes.subarray(i, i + size))
    await new Promise(resolve => setImmediate(resolve))
  }
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(timer); resolve() }
    const timer = setTimeout(done, 1500)
    socket.once('close', done)
    socket.on('data', () => { if (text.includes('\n')) done() })
  })
  socket.destroy()
  return text
}

t.test('hostile PROXY headers from a trusted peer never end the broker', async t => {
  const b = await startBroker({ proxy_protocol: true })
  t.teardown(b.stop)
  for (const [name, bytes] of CASES) {
    for (const parts of [1, 3, bytes.length]) {
      const answer = await tryBytes(b.port, bytes, parts)
      t.ok(answer === '' || answer.split('\n').filter(l => l !== '').every(l => typeof JSON.parse(l)['@type'] === 'string'), `${name} in ${parts} part(s): ${answer.slice(0, 100) || '(dropped)'}`)
      const fresh = await TestClient.connect(b.port)
      fresh.sendRaw('PROXY TCP4 10.0.0.9 127.0.0.1 5555 23456\r\n')
      t.equal((await fresh.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', `${name}: a fresh connection is served`)
      fresh.close()
    }
  }
})

/** `localhost` is both loopback addresses: clients reach the broker on 127.0.0.1 and on [::1]. */
import net from 'node:net'
import t from 'tap'
import { startBroker } from '../helpers/broker.js'

async function ping (host: string, port: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer from ${host}:${port}`)) }, 5000)
    let data = ''
    socket.on('error', e => { clearTimeout(timer); reject(e) })
    socket.on('data', chunk => {
      data += chunk.toString('utf8')
      if (data.includes('\n')) { clearTimeout(timer); socket.end(); resolve(data.trim()) }
    })
    socket.write('{"@type":"broker.ping","@extra":"' + host + '"}\n')
  })
}

async function hasIpv6Loopback (): Promise<boolean> {
  return await new Promise(resolve => {
    const s = net.createServer()
    s.once('error', () => { resolve(false) })
    s.listen(0, '::1', () => { s.close(); resolve(true) })
  })
}

t.test('host localhost listens on 127.0.0.1 and ::1, and says so', async t => {
  const v6 = await hasIpv6Loopback()
  const b = await startBroker({ host: 'localhost' })
  t.teardown(b.stop)
  t.equal(b.broker.addresses.tcp?.address, '127.0.0.1')
  t.same(JSON.parse(await ping('127.0.0.1', b.port)), { '@type': 'broker.pong', '@extra': '127.0.0.1' })
  if (v6) {
    t.same(JSON.parse(await ping('::1', b.port)), { '@type': 'broker.pong', '@extra': '::1' })
    t.same(b.broker.endpoints, [`127.0.0.1:${b.port} and [::1]:${b.port} (plain TCP, newline-delimited JSON)`])
  } else {
    t.same(b.broker.endpoints, [`127.0.0.1:${b.port} (plain TCP, newline-delimited JSON)`])
  }
})

t.test('an explicit address binds only that address', async t => {
  const b = await startBroker({ host: '127.0.0.1' })
  t.teardown(b.stop)
  t.same(b.broker.endpoints, [`127.0.0.1:${b.port} (plain TCP, newline-delimited JSON)`])
  if (await hasIpv6Loopback()) await t.rejects(ping('::1', b.port), 'nothing on [::1]')
})

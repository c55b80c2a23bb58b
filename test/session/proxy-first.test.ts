/**
 * With tdlib.proxy set, no packet goes to Telegram except through the proxy,
 * from the first moment (real TDLib). The proxy is a local listener that
 * counts connections (it need not speak SOCKS: TDLib's attempt is what
 * counts), and TDLib's own log (debug_level 4) names every connection it
 * creates: none may go straight to a Telegram address.
 */
import t from 'tap'
import net from 'node:net'
import { startBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'

t.test('the first connection TDLib makes goes to the proxy; none goes to Telegram directly', async t => {
  const sockets: net.Socket[] = []
  const proxy = net.createServer(socket => {
    sockets.push(socket)
    socket.on('error', () => {})
    socket.resume()
  })
  await new Promise<void>(resolve => { proxy.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { for (const s of sockets) s.destroy(); proxy.close() })
  const port = (proxy.address() as net.AddressInfo).port

  const b = await startBroker({ tdlib: { debug_level: 4, proxy: { type: 'socks5', host: '127.0.0.1', port } } })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const session = await c.createSession()
  await c.waitFor((m: Msg) => m['@type'] === 'updateAuthorizationState' && m['@session'] === session &&
    (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitPhoneNumber')

  const tdlibLines = (): string[] => b.logs.records.filter(r => r.component === 'tdlib').map(r => String(r.msg))
  const viaProxy = new RegExp(`Create: Socks5 \\[127\\.0\\.0\\.1:${port}\\] --> \\[`)
  const end = Date.now() + 10_000
  while ((sockets.length === 0 || !tdlibLines().some(l => viaProxy.test(l))) && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 50))
  t.ok(sockets.length >= 1, `the proxy got ${sockets.length} connection(s)`)
  t.ok(tdlibLines().some(l => viaProxy.test(l)), 'TDLib logs the connection it creates through the proxy')
  const direct = tdlibLines().filter(l => /Create: \[/.test(l)).filter(l => !/Create: \[(127\.|\[?::1)/.test(l))
  t.same(direct, [], 'TDLib created no direct connection to a non-local address')
})

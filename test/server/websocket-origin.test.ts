/**
 * WebSocket from browsers: a request carrying an Origin header is refused
 * with HTTP 403 unless websocket.allowed_origins lists it; clients without
 * an Origin (programs, not browsers) pass. A plain WebSocket listener
 * follows the TCP listener's public-address rule.
 */
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { WebSocket } from 'ws'
import { startBroker, tempDir } from '../helpers/broker.js'
import { writeSelfSignedPair } from '../helpers/certs.js'

type Outcome = { opened: true, pong: unknown } | { opened: false, status: number }

/** Opens a WebSocket (with `origin` as its Origin header, if given) and pings, or reports the HTTP refusal. */
async function tryConnect (url: string, origin?: string): Promise<Outcome> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('no answer within 10 s')) }, 10_000)
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      clearTimeout(timer)
      res.resume()
      resolve({ opened: false, status: res.statusCode ?? 0 })
      ws.terminate()
    })
    ws.once('error', e => { clearTimeout(timer); reject(e) })
    ws.once('open', () => { ws.send(JSON.stringify({ '@type': 'broker.ping', '@extra': 1 })) })
    ws.once('message', data => {
      clearTimeout(timer)
      resolve({ opened: true, pong: JSON.parse(String(data)) })
      ws.close()
    })
  })
}

t.test('no allowed_origins: a browser (any Origin) gets 403, a program (no Origin) is served', async t => {
  const b = await startBroker({ websocket: { host: '127.0.0.1', port: 0 } })
  t.teardown(b.stop)
  const url = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
  for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1']) {
    t.same(await tryConnect(url, origin), { opened: false, status: 403 }, `Origin ${origin} is refused`)
  }
  t.equal(b.logs.records.filter(r => r.msg === 'client connected').length, 0, 'no refused request became a connection')
  const logged = b.logs.records.filter(r => r.msg === 'WebSocket refused: its Origin is not in websocket.allowed_origins')
  t.equal(logged.length, 1, 'three refusals in a row are one log line')
  t.match(logged[0], { origin: 'https://evil.example' })
  t.match(await tryConnect(url), { opened: true, pong: { '@type': 'broker.pong', '@extra': 1 } }, 'no Origin: served')
})

t.test('allowed_origins lets those pages in, and only those', async t => {
  const b = await startBroker({ websocket: { host: '127.0.0.1', port: 0, allowed_origins: ['https://app.example.com', 'http://localhost:8080'] } })
  t.teardown(b.stop)
  const url = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`
  t.match(await tryConnect(url, 'https://app.example.com'), { opened: true, pong: { '@type': 'broker.pong' } })
  t.match(await tryConnect(url, 'HTTPS://App.Example.com/'), { opened: true }, 'compared without case and trailing slash')
  t.match(await tryConnect(url, 'http://localhost:8080'), { opened: true })
  for (const origin of ['https://app.example.com.evil.example', 'http://app.example.com', 'http://localhost:8081', 'https://evil.example']) {
    t.same(await tryConnect(url, origin), { opened: false, status: 403 }, `Origin ${origin} is refused`)
  }
})

t.test('a plain WebSocket listener on a public address needs allow_public_plain, like TCP', async t => {
  await t.rejects(startBroker({ websocket: { host: '0.0.0.0', port: 0 } }), /websocket\.host 0\.0\.0\.0 is not a loopback address/)
  const allowed = await startBroker({ websocket: { host: '0.0.0.0', port: 0 }, allow_public_plain: true })
  t.teardown(allowed.stop)
  t.equal(allowed.broker.addresses.websocket?.address, '0.0.0.0', 'allow_public_plain lets it start')
  t.ok(allowed.logs.find(r => r.msg === 'the plain WebSocket listener is reachable from other hosts (allow_public_plain): anyone who can reach it has full access unless clients are set'), 'with a warning')

  const dir = tempDir()
  const pair = await writeSelfSignedPair(dir, { altNames: [{ type: 'ip', value: '127.0.0.1' }] })
  const secure = await startBroker({
    tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' },
    websocket: { host: '0.0.0.0', port: 0, tls: true }
  }, { dir })
  t.teardown(secure.stop)
  t.equal(secure.broker.addresses.websocket?.address, '0.0.0.0', 'WebSocket over TLS may listen on a public address without it')
  const ws = new WebSocket(`wss://127.0.0.1:${secure.broker.addresses.websocket?.port ?? 0}/`, { ca: pair.cert, cert: pair.cert, key: pair.key })
  await once(ws, 'open')
  ws.close()
})

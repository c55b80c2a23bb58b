/**
 * /readyz with MySQL: unready while the configured MySQL cannot be reached
 * (a closed port), with a JSON reason, and ready once it can (a forwarder to
 * the shared MariaDB opens on that port); unready again when it stops (the
 * forwarder closes, cutting the idle connection) and ready when it returns.
 * /healthz stays 200 throughout.
 */
import net from 'node:net'
import t from 'tap'
import { startBroker } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'
import { FakeBackend } from '../helpers/fake-backend.js'
import type { TdClient, TdClientEvents, TdClientOptions, TdObject } from '../../src/tdlib/backend.js'
import { freePort, sharedServerMissing, SHARED, tempDatabase } from '../store/helpers/mysql.js'
import { adminGet, metric, until } from './helpers.js'

const skip = await sharedServerMissing()

/** Listens on `port` and pipes every connection to the shared MariaDB. */
async function forwarder (port: number): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer(socket => {
    const upstream = net.connect(SHARED.port, SHARED.host)
    sockets.add(socket).add(upstream)
    socket.pipe(upstream).pipe(socket)
    for (const s of [socket, upstream]) s.on('error', () => { socket.destroy(); upstream.destroy() })
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  return {
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

t.test('/readyz follows MySQL: unready with the reason while unreachable, ready once it answers', { skip }, async t => {
  const db = await tempDatabase()
  t.teardown(db.drop)
  const port = await freePort()
  const b = await startBroker({ admin: { port: 0 }, mysql: { ...db.settings, port } }, { store: { mirror: { retryMs: [50, 200] } } })
  t.teardown(b.stop)

  const down = await adminGet(b.broker, '/readyz')
  t.equal(down.status, 503, 'unready while MySQL is down')
  const body = JSON.parse(down.body)
  t.equal(body.status, 'not ready')
  t.match(body.checks.mysql, { ok: false, detail: /MySQL mirror is down/ }, 'and says why')
  t.match(body.checks, { listening: { ok: true }, store: { ok: true }, sessions: { ok: true } }, 'the rest is fine')
  t.equal((await adminGet(b.broker, '/healthz')).status, 200, 'alive all the same')
  t.equal(await metric(b.broker, 'tdbroker_mysql_up'), 0, 'tdbroker_mysql_up is 0')

  const proxy = await forwarder(port)
  t.teardown(proxy.close)
  await until(async () => (await adminGet(b.broker, '/readyz')).status === 200, '/readyz to turn ready', 20_000)
  const up = JSON.parse((await adminGet(b.broker, '/readyz')).body)
  t.match(up, { status: 'ready', checks: { mysql: { ok: true, detail: /connected/ } } })
  t.equal(await metric(b.broker, 'tdbroker_mysql_up'), 1, 'tdbroker_mysql_up is 1')
  t.equal(await metric(b.broker, 'tdbroker_mysql_lag_seconds'), 0, 'no lag once up')

  // MySQL stops while the broker is idle (nothing to write): noticed without waiting for a write.
  await proxy.close()
  await until(async () => (await adminGet(b.broker, '/readyz')).status === 503, '/readyz to turn unready once MySQL stops', 20_000)
  t.match(JSON.parse((await adminGet(b.broker, '/readyz')).body).checks.mysql, { ok: false, detail: /MySQL mirror is down/ }, 'unready again, saying why')
  t.equal(await metric(b.broker, 'tdbroker_mysql_up'), 0, 'tdbroker_mysql_up is 0 again')
  const again = await forwarder(port)
  t.teardown(again.close)
  await until(async () => (await adminGet(b.broker, '/readyz')).status === 200, '/readyz to turn ready once MySQL returns', 20_000)
  t.pass('ready once MySQL is back')
})

/** A backend whose sessions hang in setTdlibParameters until released: a start that never ends. */
class HangingBackend extends FakeBackend {
  private readonly waiting: Array<() => void> = []
  override createClient (options: TdClientOptions, events: TdClientEvents): TdClient {
    const client = super.createClient(options, events)
    const invoke = client.invoke.bind(client)
    client.invoke = async (request: TdObject) => {
      if (request['@type'] === 'setTdlibParameters') await new Promise<void>(resolve => { this.waiting.push(resolve) })
      return await invoke(request)
    }
    return client
  }

  release (): void { for (const r of this.waiting.splice(0)) r() }
}

t.test('/readyz: a session starting for longer than admin.starting_limit makes it unready', async t => {
  let now = Date.now()
  const backend = new HangingBackend()
  const b = await startBroker({ admin: { port: 0, starting_limit: 5 } }, { clock: () => now, backend })
  t.teardown(b.stop)
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  c.send({ '@type': 'broker.createSession', '@extra': 'create' })
  await until(async () => b.broker.registry.list().some(s => s.state === 'starting'), 'a session to be starting')
  t.equal((await adminGet(b.broker, '/readyz')).status, 200, 'a session that just began starting is fine')
  now += 6000
  const r = await adminGet(b.broker, '/readyz')
  t.equal(r.status, 503, 'one starting for longer than starting_limit is not')
  const id = b.broker.registry.list()[0]!.id
  t.match(JSON.parse(r.body).checks.sessions, { ok: false, detail: new RegExp(`starting for over 5 s \\(admin.starting_limit\\): ${id}`) })
  backend.release()
  await c.waitFor(m => m['@extra'] === 'create', 10_000, 'the session created')
  t.equal((await adminGet(b.broker, '/readyz')).status, 200, 'ready again once it has started')
})

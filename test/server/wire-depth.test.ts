/**
 * Issue 10 point 1: a 10 KB line nested 5000 deep used to overflow the
 * stack in replyLine and end the process. Every frame's nesting is bounded
 * before anything walks it; the refusal is FRAME_TOO_DEEP and the broker
 * carries on, on TCP and WebSocket, authenticated or not.
 */
import t from 'tap'
import { WebSocket } from 'ws'
import { startBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'

const ISSUE_LINE = '{"@type":"broker.ping","@extra":' + '['.repeat(5000) + ']'.repeat(5000) + '}'

t.test('the issue line over TCP gets FRAME_TOO_DEEP; the connection and the broker carry on', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  a.sendRaw(ISSUE_LINE + '\n')
  const r = await a.waitFor(m => m['@type'] === 'error', 10_000, 'the refusal')
  t.equal(r.code, 400)
  t.match(r.message, /^FRAME_TOO_DEEP: /)
  t.notOk(Object.hasOwn(r, '@extra'), 'the too-deep @extra is not echoed')
  t.equal((await a.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'the same connection still works')
  const fresh = await TestClient.connect(b.port)
  t.teardown(() => { fresh.close() })
  t.equal((await fresh.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'a new connection is served')
})

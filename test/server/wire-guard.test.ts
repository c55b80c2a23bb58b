/**
 * The receive path never lets a throw reach the process: when even the
 * answer cannot be sent (here a transport whose send throws), the
 * connection is closed and logged, from the synchronous path (a refused
 * line) and from the asynchronous one (a control request's answer), and
 * the broker goes on serving others.
 */
import t from 'tap'
import type { Transport } from '../../src/server/transport.js'
import { startBroker } from '../helpers/broker.js'
import { tcpPeer } from '../helpers/raw-peer.js'

/** A transport that accepts input but fails on every write, as a broken socket might; `closed` settles when it is ended or destroyed. */
function brokenTransport (): Transport & { closed: Promise<void> } {
  let settle = (): void => {}
  const closed = new Promise<void>(resolve => { settle = resolve })
  return {
    kind: 'tcp',
    remote: '127.0.0.1:1',
    closed,
    send: () => { throw new Error('write failed (test)') },
    bufferedBytes: () => 0,
    pauseReading: () => {},
    resumeReading: () => {},
    end: () => { settle() },
    destroy: () => { settle() }
  }
}

/** Rejects after `ms`: every wait in a test is bounded. */
async function within<T> (ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`timed out: ${what}`)) }, ms) })
  try { return await Promise.race([p, timeout]) } finally { clearTimeout(timer) }
}

t.test('an answer that cannot be sent closes that connection, never the process', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const failures = (): number => b.logs.records.filter(r => r.msg === 'could not send an error answer; closing the connection').length

  for (const [what, line] of [['a malformed line (answered at once)', 'not json'], ['broker.ping (answered later)', '{"@type":"broker.ping","@extra":1}']] as const) {
    const before = failures()
    const transport = brokenTransport()
    const conn = b.broker.accept(transport, () => {})
    if (conn === undefined) throw new Error('the broker refused the connection')
    t.doesNotThrow(() => { conn.receive(line) }, `${what}: receive does not throw`)
    await within(5000, `${what}: the transport is closed`, transport.closed)
    t.equal(conn.state, 'closed', `${what}: the connection is closed`)
    t.equal(failures(), before + 1, `${what}: and the failure is logged`)
  }
  const p = await tcpPeer(b.port)
  t.teardown(() => { p.close() })
  await p.send(['{"@type":"broker.ping","@extra":"still"}\n'])
  t.ok(await p.waitFor((_l, m) => m['@extra'] === 'still'), 'the broker still answers a new connection')
})

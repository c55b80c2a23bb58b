/**
 * An answer to the only request a connection has pending is written at
 * once (the transport's flush), not left for the batch's check phase:
 * nothing else is coming to leave with it. Answers of requests pending
 * together still wait to leave together.
 */
import t from 'tap'
import type { Transport } from '../../src/server/transport.js'
import { startBroker } from '../helpers/broker.js'
import { FakeBackend } from '../helpers/fake-backend.js'

/** A transport that notes what the connection does with it: each line sent (by its @extra) and each flush. */
function recordingTransport (): Transport & { events: string[], lines: Array<Record<string, unknown>> } {
  const events: string[] = []
  const lines: Array<Record<string, unknown>> = []
  return {
    kind: 'tcp',
    remote: '127.0.0.1:1',
    events,
    lines,
    send: (line: string) => {
      const message = JSON.parse(line) as Record<string, unknown>
      lines.push(message)
      events.push(message['@extra'] === undefined ? `line ${String(message['@type'])}` : `answer ${String(message['@extra'])}`)
    },
    flush: () => { events.push('flush') },
    bufferedBytes: () => 0,
    pauseReading: () => {},
    resumeReading: () => {},
    end: () => {},
    destroy: () => {}
  }
}

/** Waits (at most 5 s) until `ready` holds. */
async function until (ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !ready(); i++) await new Promise(resolve => setTimeout(resolve, 10))
  if (!ready()) throw new Error(`timed out: ${what}`)
}

t.test('the answer to the only pending request is flushed at once; two answered in one turn are not', async t => {
  const b = await startBroker({}, { backend: new FakeBackend() })
  t.teardown(b.stop)
  const transport = recordingTransport()
  const conn = b.broker.accept(transport, () => {})
  if (conn === undefined) throw new Error('the broker refused the connection')
  t.teardown(() => { conn.close('test over') })

  conn.receive('{"@type":"broker.createSession","@extra":"create"}')
  await until(() => transport.events.includes('answer create'), 'the session is created')
  const session = transport.lines.find(l => l['@extra'] === 'create')?.session
  t.type(session, 'string', 'createSession answered with a session')
  t.notOk(transport.events.includes('flush'), 'a control answer leaves with its batch, as before')
  // The session starts and sends its first updates; let them pass.
  conn.receive(JSON.stringify({ '@type': 'testSquareInt', x: 1, '@session': session, '@extra': 'warm' }))
  await until(() => transport.events.includes('answer warm'), 'the first request is answered')
  await new Promise(resolve => setTimeout(resolve, 100))

  transport.events.length = 0
  conn.receive(JSON.stringify({ '@type': 'testSquareInt', x: 2, '@session': session, '@extra': 'one' }))
  await until(() => transport.events.includes('answer one'), 'the single request is answered')
  t.same(transport.events, ['answer one', 'flush'], 'the only pending request: its answer is flushed right after it is sent')
  t.equal(transport.lines.find(l => l['@extra'] === 'one')?.value, 4, 'and it is the right answer')

  transport.events.length = 0
  conn.receive(JSON.stringify({ '@type': 'testSquareInt', x: 3, '@session': session, '@extra': 'a' }))
  conn.receive(JSON.stringify({ '@type': 'testSquareInt', x: 4, '@session': session, '@extra': 'b' }))
  await until(() => transport.events.includes('answer b'), 'both requests are answered')
  await new Promise(resolve => setTimeout(resolve, 50))
  t.same(transport.events, ['answer a', 'answer b'], 'two pending, answered in the same turn: neither is flushed on its own (they leave together at the check phase)')
})

/**
 * The drain (src/tdlib/drain.ts) on a scripted td_receive: each queued
 * message goes to its own client as tdl's loop would hand it (without
 * @client_id), in order; unknown ids are counted and dropped; a handler's
 * failure is reported on its client and the rest still arrive; a failing
 * td_receive leaves receiving to tdl's loop from then on.
 */
import t from 'tap'
import { Drain, loopParksWhileHandling, receiveNow, type Receiver } from '../../src/tdlib/drain.js'

/** A receiver that records what it is handed and the errors reported on it. */
function receiver (onReceive: (res: Record<string, unknown>) => void = () => {}): Receiver & { got: Array<Record<string, unknown>>, errors: unknown[] } {
  const got: Array<Record<string, unknown>> = []
  const errors: unknown[] = []
  return { got, errors, handleReceive: res => { got.push(res); onReceive(res) }, emit: (_event, e) => { errors.push(e); return true } }
}

/** td_receive over a fixed queue, then null. */
function queue (...texts: string[]): () => string | null { return () => texts.shift() ?? null }

t.test('every queued message reaches its client, in order, without @client_id', async t => {
  const drain = new Drain(queue('{"@type":"testInt","value":1,"@extra":1,"@client_id":1}', '{"@type":"updateOption","@client_id":2}', '{"@type":"testInt","value":4,"@extra":2,"@client_id":1}'))
  const one = receiver()
  const two = receiver()
  drain.add(1, one)
  drain.add(2, two)
  drain.run()
  t.same(one.got, [{ '@type': 'testInt', value: 1, '@extra': 1 }, { '@type': 'testInt', value: 4, '@extra': 2 }])
  t.same(two.got, [{ '@type': 'updateOption' }])
  t.equal(drain.drained, 3)
})

t.test('a message for an unknown or removed client is dropped and counted', async t => {
  const drain = new Drain(queue('{"@type":"ok","@client_id":1}', '{"@type":"ok","@client_id":9}', '{"@type":"ok"}'))
  const one = receiver()
  drain.add(1, one)
  drain.remove(1)
  drain.run()
  t.same(one.got, [])
  t.equal(drain.unrouted, 3)
  t.equal(drain.drained, 0)
})

t.test('a run from inside a handler returns at once; the outer run takes the rest', async t => {
  const drain = new Drain(queue('{"@type":"a","@client_id":1}', '{"@type":"b","@client_id":1}'))
  const one = receiver(() => { drain.run() })
  drain.add(1, one)
  drain.run()
  t.same(one.got.map(r => r['@type']), ['a', 'b'], 'each once, in order')
})

t.test('a handler that throws is reported on its client and the queue goes on', async t => {
  const drain = new Drain(queue('{"@type":"bad","@client_id":1}', '{"@type":"good","@client_id":2}'))
  const one = receiver(() => { throw new Error('handler failed') })
  const two = receiver()
  drain.add(1, one)
  drain.add(2, two)
  drain.run()
  t.match(one.errors, [{ message: 'handler failed' }])
  t.same(two.got, [{ '@type': 'good' }])
})

t.test('a failing td_receive turns the drain off for good (tdl\'s loop receives alone)', async t => {
  let calls = 0
  const drain = new Drain(() => { calls++; throw new Error('libtdjson changed') })
  drain.run()
  drain.run()
  t.equal(calls, 1, 'not called again')
})

t.test('without a loadable libtdjson there is no drain', async t => {
  t.equal(receiveNow('/nonexistent/libtdjson.so'), undefined)
})

t.test('the check of tdl\'s loop refuses a loop that receives ahead or is not there', async t => {
  const parked = 'async function receiveLoop() {\n  while (true) {\n    const responseString = await tdjsonAddon.tdnew.receive();\n    const res = JSON.parse(responseString);\n    client.handleReceive(res);\n  }\n}\n'
  t.equal(loopParksWhileHandling(parked), true)
  t.equal(loopParksWhileHandling(parked.replace('const res', 'const next = tdjsonAddon.tdnew.receive();\n    const res')), false, 'a second receive in the loop')
  t.equal(loopParksWhileHandling('function other() {}'), false, 'no receive loop')
})

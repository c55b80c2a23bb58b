/**
 * LateReceive on a stand-in for tdl's addon object: after later(), the next
 * receive waits for the check phase, so what the current turn's promise
 * reactions do (writing an answer) comes first; every other receive goes at
 * once. The real tdl loop is tested in tdl-backend.test.ts.
 */
import t from 'tap'
import { LateReceive } from '../../src/tdlib/late-receive.js'

function standIn (answer: () => string | null): { addon: { tdnew: { receive: () => Promise<string | null> } }, calls: () => number } {
  let calls = 0
  const addon = { tdnew: { receive: async (): Promise<string | null> => { calls++; return answer() } } }
  return { addon, calls: () => calls }
}

t.test('an addon object without tdnew.receive is left alone', async t => {
  const late = new LateReceive()
  t.equal(late.install(undefined), false, 'nothing to install on')
  t.equal(late.install({}), false, 'no tdnew')
  const addon = { tdnew: { receive: 'not a function' } }
  t.equal(late.install(addon), false, 'receive is not a function')
  t.equal(addon.tdnew.receive, 'not a function', 'and is not replaced')
})

t.test('receives go at once until later() is called; the next one waits for the check phase', async t => {
  const late = new LateReceive()
  const { addon, calls } = standIn(() => '{"@type":"ok"}')
  t.equal(late.install(addon), true, 'installed')
  t.equal(await addon.tdnew.receive(), '{"@type":"ok"}', 'a receive without later() answers')
  t.equal(calls(), 1, 'and reached the addon at once')
  t.equal(late.deferred, 0, 'nothing waited')

  late.later()
  const order: string[] = []
  const received = addon.tdnew.receive().then(text => { order.push(`received ${String(text)}`) })
  t.equal(calls(), 1, 'after later(), the receive has not reached the addon yet')
  // What the rest of the turn does: promise reactions, several deep, like an answer's way to its client.
  await Promise.resolve().then(() => Promise.resolve()).then(() => { order.push('answer written') })
  t.equal(calls(), 1, 'not even once the turn\'s promise reactions have run')
  await received
  t.same(order, ['answer written', 'received {"@type":"ok"}'], 'the turn\'s work came first, then the receive')
  t.equal(calls(), 2, 'which then reached the addon')
  t.equal(late.deferred, 1, 'one receive waited')

  await addon.tdnew.receive()
  t.equal(calls(), 3, 'later() holds one receive only: the next goes at once')
  t.equal(late.deferred, 1, 'and did not wait')
})

t.test('a receive that throws once it goes rejects, as a throw in tdl\'s loop would end it, and the process carries on', async t => {
  const late = new LateReceive()
  const addon = { tdnew: { receive: (): Promise<string> => { throw new Error('td_receive failed') } } }
  t.equal(late.install(addon), true, 'installed')
  late.later()
  await t.rejects(addon.tdnew.receive(), /td_receive failed/, 'the waiting receive rejects with the addon\'s error')
})

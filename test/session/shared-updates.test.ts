/**
 * Identical settings updates of different sessions share one frozen object;
 * each session's wire line keeps its own @session and @seq, and nothing can
 * change the shared object.
 */
import t from 'tap'
import { SharedUpdates, MAX_SHARED_JSON } from '../../src/session/shared-updates.js'
import { OutgoingUpdate } from '../../src/session/outgoing.js'
import { UpdateBuffer } from '../../src/resume/update-buffer.js'
import type { TdObject } from '../../src/tdlib/backend.js'

const option = (name: string, value: string): TdObject => ({ '@type': 'updateOption', name, value: { '@type': 'optionValueInteger', value } })

t.test('equal updates of a shared type become one frozen object, made from their JSON', async t => {
  const shared = new SharedUpdates()
  const a = option('message_caption_length_max', '1024')
  const b = option('message_caption_length_max', '1024')
  const sa = shared.share(a)
  const sb = shared.share(b)
  t.equal(sa, sb, 'one object for both')
  t.not(sa, a, 'not the object the backend gave (it may still hold and change that one)')
  t.same(sa, a)
  t.ok(Object.isFrozen(sa) && Object.isFrozen(sa.value), 'frozen all the way down')
  t.throws(() => { (sa.value as Record<string, unknown>).value = '1' }, TypeError, 'a change throws instead of reaching other sessions')
  t.equal(JSON.stringify(sb), JSON.stringify(a))
  a.name = 'changed'
  t.equal(sa.name, 'message_caption_length_max', 'a later change to the original does not reach the shared one')
  t.not(shared.share(option('message_caption_length_max', '2048')), sa, 'a different value is another object')
  t.equal(shared.hits, 1)
  t.equal(shared.misses, 2)
})

t.test('other types, and large updates, are kept as they came', async t => {
  const shared = new SharedUpdates()
  const message: TdObject = { '@type': 'updateNewMessage', message: { '@type': 'message', id: 1 } }
  t.equal(shared.share(message), message)
  t.notOk(Object.isFrozen(message))
  const big = option('x', '9'.repeat(MAX_SHARED_JSON))
  t.equal(shared.share(big), big)
  t.equal(shared.size, 0)
})

t.test('the cache is bounded, least recently used out first', async t => {
  const shared = new SharedUpdates(3)
  const first = shared.share(option('a', '1'))
  shared.share(option('b', '1'))
  shared.share(option('c', '1'))
  t.equal(shared.share(option('a', '1')), first, 'a hit makes it the most recent')
  shared.share(option('d', '1'))
  t.equal(shared.size, 3)
  t.equal(shared.share(option('a', '1')), first, 'so b went, not a')
  const misses = shared.misses
  shared.share(option('b', '1'))
  t.equal(shared.misses, misses + 1, 'b was evicted')
})

t.test('sessions sharing an object keep their own @session and @seq, in the buffer and on replay', async t => {
  const shared = new SharedUpdates()
  const one = new UpdateBuffer(10, 60_000, 0)
  const two = new UpdateBuffer(10, 60_000, 100)
  for (let i = 1; i <= 3; i++) {
    one.push(new OutgoingUpdate('1', i, shared.share(option(`o${i}`, '5'))))
    two.push(new OutgoingUpdate('2', 100 + i, shared.share(option(`o${i}`, '5'))))
  }
  const a = one.since(1)
  const b = two.since(101)
  t.same(a.map(u => u.seq), [2, 3])
  t.same(b.map(u => u.seq), [102, 103])
  t.equal(a[0]!.update, b[0]!.update, 'the same object')
  t.same(JSON.parse(a[0]!.line()), { ...option('o2', '5'), '@session': '1', '@seq': 2 })
  t.same(JSON.parse(b[0]!.line()), { ...option('o2', '5'), '@session': '2', '@seq': 102 })
  t.same(JSON.parse(b[1]!.lineWithoutPaths()), { ...option('o3', '5'), '@session': '2', '@seq': 103 })
  t.notOk('@seq' in a[0]!.update, 'the number stays outside the shared object')
})

/**
 * A connection's attached sessions (src/server/attached.ts): nothing, one,
 * or a Set of several; adding and removing in any order keeps exactly the
 * items added and not removed, and a value that is back to one item is that
 * item again, not a Set.
 */
import t from 'tap'
import { attachedAdd, attachedDelete, attachedHas, attachedList, type Attached } from '../../src/server/attached.js'

interface Item { name: string }
const a: Item = { name: 'a' }
const b: Item = { name: 'b' }
const c: Item = { name: 'c' }

t.test('one item is held as itself', async t => {
  let v: Attached<Item>
  t.equal(attachedList(v).length, 0)
  t.notOk(attachedHas(v, a))
  v = attachedAdd(v, a)
  t.equal(v, a, 'the item itself, no Set')
  t.ok(attachedHas(v, a))
  t.notOk(attachedHas(v, b))
  t.equal(attachedAdd(v, a), a, 'adding it again changes nothing')
  t.equal(attachedDelete(v, b), a, 'removing another leaves it')
  t.equal(attachedDelete(v, a), undefined)
})

t.test('several are a Set, and back to the one item when one is left', async t => {
  let v: Attached<Item> = attachedAdd(attachedAdd(undefined, a), b)
  t.ok(v instanceof Set)
  v = attachedAdd(v, c)
  t.equal(attachedList(v).length, 3)
  t.same(attachedList(v).map(i => i.name), ['a', 'b', 'c'], 'in the order added')
  v = attachedDelete(v, b)
  t.equal(attachedList(v).length, 2)
  t.notOk(attachedHas(v, b))
  v = attachedDelete(v, a)
  t.equal(v, c, 'one left: the item itself again')
  t.equal(attachedDelete(v, c), undefined)
})

t.test('attachedList is a copy: changing the value while iterating it is safe', async t => {
  let v: Attached<Item> = attachedAdd(attachedAdd(attachedAdd(undefined, a), b), c)
  const seen: string[] = []
  for (const item of attachedList(v)) {
    seen.push(item.name)
    v = attachedDelete(v, item)
  }
  t.same(seen, ['a', 'b', 'c'])
  t.equal(v, undefined)
})

t.test('any order of adds and removes holds what a Set would', async t => {
  const items = Array.from({ length: 5 }, (_, i) => ({ name: String(i) }))
  let v: Attached<Item>
  const model = new Set<Item>()
  let seed = 7
  for (let step = 0; step < 500; step++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    const item = items[seed % items.length]!
    if ((seed >> 8) % 2 === 0) { v = attachedAdd(v, item); model.add(item) } else { v = attachedDelete(v, item); model.delete(item) }
    const agrees = attachedList(v).length === model.size && items.every(i => attachedHas(v, i) === model.has(i)) && !(model.size === 1 && v instanceof Set)
    if (!agrees) {
      t.fail(`step ${step}: ${attachedList(v).map(i => i.name).join(',')} against ${[...model].map(i => i.name).join(',')}`)
      return
    }
  }
  t.pass('500 steps agreed with a Set (and one item was never held in a Set)')
})

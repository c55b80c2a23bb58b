/**
 * The sequence index: which missed numbers are a loss for a given client,
 * and that unknown numbers always count as lost.
 */
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SeqIndex } from '../../src/resume/seq-index.js'
import { INDEX_FILE, readIndex, writeIndex } from '../../src/resume/index-file.js'

const onlyOptions = (type: string): boolean => type === 'updateOption'
const chat10 = (_type: string, chat: number | undefined): boolean => chat === 10

t.test('only numbers the client would have received are lost', async t => {
  const index = new SeqIndex(100, 0)
  index.record(1, 'updateNewMessage', 11)
  index.record(2, 'updateOption', undefined)
  index.record(3, undefined, undefined) // a catch-up update for the starter alone
  index.record(4, 'updateNewMessage', 10)
  index.record(5, 'updateNewMessage', 11)
  t.same(index.lost(1, 5, onlyOptions), { from: 2, to: 2 })
  t.same(index.lost(1, 5, chat10), { from: 4, to: 4 })
  t.equal(index.lost(3, 3, () => true), undefined, 'a number resuming clients never get is no loss')
  t.equal(index.lost(5, 5, onlyOptions), undefined)
  t.same(index.lost(1, 5, () => true), { from: 1, to: 5 })
  t.equal(index.lost(6, 5, () => true), undefined, 'an empty range')
})

t.test('numbers before the index, or beyond what it saw, are unknown and count as lost', async t => {
  const index = new SeqIndex(2, 10)
  t.same(index.lost(5, 10, () => false), { from: 5, to: 10 }, 'below the floor')
  index.record(11, 'a', undefined)
  index.record(12, 'b', undefined)
  index.record(13, 'c', undefined)
  t.equal(index.knownFrom, 12, 'the oldest entry went, and its number became unknown')
  t.same(index.lost(11, 13, () => false), { from: 11, to: 11 })
  t.same(index.lost(12, 20, () => false), { from: 14, to: 20 }, 'not reached yet')
  const none = new SeqIndex(0, 0)
  none.record(1, 'a', undefined)
  t.same(none.lost(1, 1, () => false), { from: 1, to: 1 }, 'a size of 0 knows nothing')
})

t.test('a saved index is taken over only where numbering goes on from its end', async t => {
  const entries = [{ seq: 4, type: 'updateNewMessage', chatId: 3 }, { seq: 6, type: 'updateOption', chatId: undefined }]
  const clean = new SeqIndex(100, 7)
  t.ok(clean.restore(3, 7, entries))
  t.same(clean.lost(3, 7, onlyOptions), { from: 6, to: 6 })
  t.equal(clean.lost(3, 5, onlyOptions), undefined)
  t.same(clean.lost(2, 5, onlyOptions), { from: 2, to: 2 }, 'before its start stays unknown')
  const crashed = new SeqIndex(100, 10_007)
  t.notOk(crashed.restore(3, 7, entries), 'a run after it reserved numbers it never recorded')
  t.same(crashed.lost(3, 10_007, onlyOptions), { from: 3, to: 10_007 })
  t.notOk(new SeqIndex(100, 7).restore(3, 7, [...entries].reverse()), 'entries out of order are refused')
  const small = new SeqIndex(1, 7)
  t.ok(small.restore(3, 7, entries))
  t.equal(small.knownFrom, 5, 'trimmed to its size')
})

t.test('the index file round-trips, and a damaged one is ignored', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-index-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  t.equal(await readIndex(dir), undefined, 'no file')
  const saved = { knownFrom: 3, last: 9, entries: [{ seq: 4, type: 'updateNewMessage', chatId: -100123 }, { seq: 6, type: 'updateOption', chatId: undefined }, { seq: 8, type: 'updateNewMessage', chatId: 5 }] }
  await writeIndex(dir, saved)
  t.same(await readIndex(dir), saved)
  for (const bad of ['{', '{"version":2}', '{"version":1,"known_from":1,"last":2,"types":["a"],"entries":[[1,1,null]]}',
    '{"version":1,"known_from":1,"last":2,"types":["a"],"entries":[[1,0,"x"]]}', 'null']) {
    writeFileSync(join(dir, INDEX_FILE), bad)
    t.equal(await readIndex(dir), undefined, `ignored: ${bad}`)
  }
})

t.test('chats that first appear after entries without one, and across compactions, stay with their numbers', async t => {
  const index = new SeqIndex(100, 0)
  for (let s = 1; s <= 150; s++) index.record(s, s % 50 === 0 ? 'updateNewMessage' : 'updateOption', s % 50 === 0 ? -1_000_000_000_000 - s : undefined)
  t.same(index.list().filter(e => e.chatId !== undefined).map(e => [e.seq, e.chatId]), [[100, -1_000_000_000_100], [150, -1_000_000_000_150]], 'the first 50 went; the chats kept their numbers')
  t.equal(index.knownFrom, 51)
  const only = (chat: number) => (_type: string, c: number | undefined): boolean => c === chat
  t.same(index.lost(51, 150, only(-1_000_000_000_100)), { from: 100, to: 100 })
  t.equal(index.lost(51, 99, only(-1_000_000_000_100)), undefined)
  const restored = new SeqIndex(100, 150)
  t.ok(restored.restore(index.knownFrom, index.last, index.list()))
  t.same(restored.list(), index.list(), 'the same entries after a restore')
  const plain = new SeqIndex(100, 150)
  t.ok(plain.restore(1, 150, index.list().filter(e => e.chatId === undefined)))
  t.ok(plain.list().every(e => e.chatId === undefined), 'no chats when none was saved')
})

/** The upload store: names made safe, uploads in flight bounded per connection, old references forgotten with their files. */
import t from 'tap'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BrokerError } from '../../src/errors.js'
import { MAX_ISSUED, MAX_UPLOADS_IN_FLIGHT, safeFileName, UploadStore } from '../../src/files/uploads.js'
import { tempDir } from '../helpers/broker.js'

const dir = tempDir('tdbroker-uploads-')
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const session = { id: '7', directory: join(dir, '7') }

t.test('file names lose folders and control characters', async t => {
  t.equal(safeFileName('../../etc/passwd'), '.._.._etc_passwd')
  t.equal(safeFileName('a\nb\u0000c.txt'), 'a_b_c.txt')
  t.equal(safeFileName('..'), 'file')
  t.equal(safeFileName(''), 'file')
  t.equal(safeFileName('x'.repeat(300)).length, 200)
  t.equal(Buffer.byteLength(safeFileName('€'.repeat(200))), 198, 'cut to at most 200 bytes of UTF-8, between characters')
  t.equal(safeFileName('😀'.repeat(60)), '😀'.repeat(50), 'a pair is never split')
  t.equal(safeFileName('a\ud800b\udc00'), 'a_b_', 'lone surrogates replaced')
  t.equal(safeFileName('y'.repeat(1_000_000)).length, 200, 'a huge name is cut first')
})

t.test('a failed write says so without the broker\'s path, and leaves nothing behind', async t => {
  const store = new UploadStore()
  const blocked = { id: '9', directory: join(dir, 'not-a-folder') }
  writeFileSync(blocked.directory, 'a file where the session folder should be')
  const error = await store.save(blocked, 'alice', 'c1', 'f', Buffer.from('x')).then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof BrokerError && error.errorName === 'UPLOAD_FAILED', String(error))
  t.notOk(String((error as Error).message).includes(dir), 'the message names no path')
  t.match((error as Error).message, /\(ENOTDIR\)/, 'but the file system\'s code')
  t.ok(await store.save(session, 'alice', 'c1', 'f', Buffer.from('x')), 'its slot was given back')
})

t.test('the bytes land in the session folder; the reference is for its client and session', async t => {
  const store = new UploadStore()
  const token = await store.save(session, 'alice', 'c1', '../x.txt', Buffer.from('bytes'))
  const path = store.pathOf(token, '7', 'alice')
  t.ok(path?.startsWith(join(session.directory, 'broker_uploads') + '/'), 'inside broker_uploads of the session')
  t.equal(readFileSync(path!, 'utf8'), 'bytes')
  t.equal(store.pathOf(token, '7', 'bob'), undefined)
  t.equal(store.pathOf(token, '8', 'alice'), undefined)
  t.equal(store.pathOf('tdbroker-upload:' + '0'.repeat(32), '7', 'alice'), undefined, 'a guessed reference is nothing')
})

t.test('at most MAX_UPLOADS_IN_FLIGHT per connection', async t => {
  const store = new UploadStore()
  const attempts = Array.from({ length: MAX_UPLOADS_IN_FLIGHT + 1 }, async () => await store.save(session, 'alice', 'c1', 'f', Buffer.from('x')))
  const results = await Promise.allSettled(attempts)
  const refused = results.filter(r => r.status === 'rejected').map(r => (r as PromiseRejectedResult).reason as BrokerError)
  t.equal(refused.length, 1, 'the one over the bound is refused')
  t.equal(refused[0]?.errorName, 'TOO_MANY_UPLOADS')
  t.ok(await store.save(session, 'alice', 'c2', 'f', Buffer.from('x')), 'another connection is not held up')
  t.ok(await store.save(session, 'alice', 'c1', 'f', Buffer.from('x')), 'once answered, the connection may upload again')
})

t.test('past MAX_ISSUED the oldest reference is forgotten and its file deleted', async t => {
  const store = new UploadStore()
  const first = await store.save(session, 'alice', 'c1', 'first', Buffer.from('1'))
  const firstPath = store.pathOf(first, '7', 'alice')!
  for (let i = 0; i < MAX_ISSUED; i++) await store.save(session, 'alice', 'c1', 'f', Buffer.from('x'))
  t.equal(store.pathOf(first, '7', 'alice'), undefined)
  await store.settled()
  t.notOk(existsSync(firstPath), 'its file is gone')
})

t.test('a file in parts: appended in order, bounded in size, for its own client and session only', async t => {
  const store = new UploadStore()
  const token = await store.save(session, 'alice', 'c1', 'big.bin', Buffer.from('one,'))
  t.equal(await store.append(token, '7', 'alice', 'c1', Buffer.from('two,'), 12), 8)
  t.equal(await store.append(token, '7', 'alice', 'c2', Buffer.from('tri'), 12), 11, 'from another connection of the client too')
  t.equal(readFileSync(store.pathOf(token, '7', 'alice')!, 'utf8'), 'one,two,tri')
  await t.rejects(store.append(token, '7', 'alice', 'c1', Buffer.from('xx'), 12), { message: /^UPLOAD_TOO_LARGE/ }, 'not past the size bound')
  await t.rejects(store.append(token, '7', 'bob', 'c1', Buffer.from('x'), 12), { message: /^INVALID_REQUEST/ }, "not to another client's file")
  await t.rejects(store.append(token, '8', 'alice', 'c1', Buffer.from('x'), 12), { message: /^INVALID_REQUEST/ }, 'not from another session')
  const first = store.append(token, '7', 'alice', 'c1', Buffer.from('!'), 100)
  await t.rejects(store.append(token, '7', 'alice', 'c1', Buffer.from('?'), 100), { message: /^INVALID_REQUEST/ }, 'two parts at once: the second is refused')
  t.equal(await first, 12)
  t.equal(readFileSync(store.pathOf(token, '7', 'alice')!, 'utf8'), 'one,two,tri!', 'the refused part left the file alone')
})

/** Packing a session folder for its backup: what goes in, the size limit, and refusing unsafe packs. */
import t from 'tap'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packFolder, readPack, sha256, unpackInto } from '../../src/store/pack.js'
import { scratchDir } from './helpers/broker.js'

function sessionFolder (): string {
  const dir = scratchDir('tdbroker-pack-')
  writeFileSync(join(dir, 'td.binlog'), Buffer.from([0, 1, 2, 255, 254]))
  writeFileSync(join(dir, 'db.sqlite'), 'x'.repeat(5000), { mode: 0o640 })
  writeFileSync(join(dir, 'db.sqlite.12.tmp'), 'temporary')
  for (const cache of ['photos', 'documents', 'temp']) {
    mkdirSync(join(dir, cache))
    writeFileSync(join(dir, cache, 'big.jpg'), 'y'.repeat(10_000))
  }
  return dir
}

t.test('packs the top-level TDLib files, skips file caches and temporary files, and unpacks them as they were', async t => {
  const dir = sessionFolder()
  const pack = await packFolder(dir)
  t.ok(pack)
  t.same(pack!.files, ['db.sqlite', 'td.binlog'])
  t.equal(pack!.loginOnly, false)
  t.equal(pack!.sha256, sha256(pack!.data))
  t.ok(pack!.data.length < 6000, 'sub-folders (photos, documents, temp) are not in it')

  const target = join(scratchDir('tdbroker-unpack-'), 'restored')
  t.same(await unpackInto(pack!.data, target), ['db.sqlite', 'td.binlog'])
  t.same(readdirSync(target).sort(), ['db.sqlite', 'td.binlog'])
  t.same(readFileSync(join(target, 'td.binlog')), Buffer.from([0, 1, 2, 255, 254]))
  t.equal(readFileSync(join(target, 'db.sqlite'), 'utf8'), 'x'.repeat(5000))
  t.equal(statSync(join(target, 'db.sqlite')).mode & 0o777, 0o640, 'file modes are kept')
})

t.test('over the limit only the login is kept; over it even then, no pack', async t => {
  const dir = sessionFolder()
  const pack = await packFolder(dir, 1000)
  t.same(pack?.files, ['td.binlog'])
  t.equal(pack?.loginOnly, true)
  t.equal(await packFolder(dir, 10), undefined)
})

t.test('a damaged or hostile pack is refused before anything is written', async t => {
  const dir = sessionFolder()
  const pack = (await packFolder(dir))!
  t.throws(() => readPack(pack.data.subarray(0, pack.data.length - 10)), { name: 'PackError', message: 'the backup is truncated' })
  t.throws(() => readPack(Buffer.from('not a pack at all')), /bad header/)
  t.throws(() => readPack(Buffer.concat([pack.data, Buffer.from([1])])), /trailing/)

  // A pack naming "../evil": build one by hand.
  const name = Buffer.from('../evil')
  const header = Buffer.alloc(2 + name.length + 12)
  header.writeUInt16BE(name.length, 0)
  name.copy(header, 2)
  header.writeUInt32BE(0o600, 2 + name.length)
  header.writeBigUInt64BE(1n, 6 + name.length)
  const evil = Buffer.concat([Buffer.from('TDBPACK1', 'latin1'), header, Buffer.from('x'), Buffer.alloc(2)])
  const target = join(scratchDir('tdbroker-unpack-'), 'restored')
  await t.rejects(unpackInto(evil, target), /unsafe path "\.\.\/evil"/)
  t.throws(() => readdirSync(target), 'the target folder was not even created')
})

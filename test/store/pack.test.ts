/** Packing a session folder for its backup: what goes in, the size limit, and refusing unsafe packs. */
import t from 'tap'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { packFolder, readPack, sha256, unpackInto } from '../../src/store/pack.js'
import { writeTar } from '../../src/store/tar.js'
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
  t.ok(pack!.data.length < 8000, 'sub-folders (photos, documents, temp) are not in it')

  const target = join(scratchDir('tdbroker-unpack-'), 'restored')
  t.same(await unpackInto(pack!.data, target), ['db.sqlite', 'td.binlog'])
  t.same(readdirSync(target).sort(), ['db.sqlite', 'td.binlog'])
  t.same(readFileSync(join(target, 'td.binlog')), Buffer.from([0, 1, 2, 255, 254]))
  t.equal(readFileSync(join(target, 'db.sqlite'), 'utf8'), 'x'.repeat(5000))
  t.equal(statSync(join(target, 'db.sqlite')).mode & 0o777, 0o640, 'file modes are kept')
})

t.test('over the limit only the login is kept; over it even then, no pack', async t => {
  const dir = sessionFolder()
  const pack = await packFolder(dir, 3000)
  t.same(pack?.files, ['td.binlog'])
  t.equal(pack?.loginOnly, true)
  t.equal(await packFolder(dir, 10), undefined)
})

t.test('a damaged or hostile pack is refused before anything is written', async t => {
  const dir = sessionFolder()
  const pack = (await packFolder(dir))!
  t.throws(() => readPack(pack.data.subarray(0, pack.data.length - 10)), { name: 'PackError', message: 'the backup is truncated' })
  t.throws(() => readPack(Buffer.from('not a pack at all')), /not a tdbroker session backup/)
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

t.test('a backup is a tar archive: tar lists and extracts it, and reads what tar wrote', async t => {
  const dir = sessionFolder()
  const pack = (await packFolder(dir))!
  const file = join(scratchDir('tdbroker-tar-'), 'backup.tar')
  writeFileSync(file, pack.data)
  t.same(execFileSync('tar', ['tf', file], { encoding: 'utf8' }).trim().split('\n'), ['db.sqlite', 'td.binlog'], 'tar tf lists the files')
  const verbose = execFileSync('tar', ['tvf', file], { encoding: 'utf8' })
  t.match(verbose, /-rw-r-----.* 5000 .*db\.sqlite/, 'with their modes and sizes')
  const out = scratchDir('tdbroker-untar-')
  execFileSync('tar', ['xf', file, '-C', out])
  t.same(readFileSync(join(out, 'td.binlog')), Buffer.from([0, 1, 2, 255, 254]), 'tar xf gives the bytes back')

  // An archive made by tar itself, as an operator would (with and without "./").
  for (const args of [['td.binlog', 'db.sqlite'], ['.']]) {
    const flat = scratchDir('tdbroker-flat-')
    writeFileSync(join(flat, 'td.binlog'), 'login')
    writeFileSync(join(flat, 'db.sqlite'), 'cache')
    const made = join(flat, '..', `made-${args.length}.tar`)
    execFileSync('tar', ['cf', made, '-C', flat, ...args])
    const files = readPack(readFileSync(made))
    t.same(files.map(f => f.name).sort(), ['db.sqlite', 'td.binlog'], `tar cf ${args.join(' ')} is read`)
    t.equal(files.find(f => f.name === 'td.binlog')?.data.toString(), 'login')
  }
})

t.test('a hostile or damaged tar archive is refused before anything is written', async t => {
  const dir = sessionFolder()
  const pack = (await packFolder(dir))!
  t.throws(() => readPack(pack.data.subarray(0, pack.data.length - 10)), { name: 'PackError', message: 'the backup is truncated' })
  t.throws(() => readPack(pack.data.subarray(0, 700)), { name: 'PackError', message: 'the backup is truncated' })
  t.throws(() => readPack(Buffer.concat([pack.data, Buffer.from([1])])), /trailing bytes/)
  const damaged = Buffer.from(pack.data)
  damaged[3] = damaged[3]! ^ 1
  t.throws(() => readPack(damaged), /damaged \(checksum\)/)

  const entry = (name: string): Buffer => writeTar([{ name, mode: 0o600, mtime: 0, data: Buffer.from('x') }])
  for (const name of ['../evil', '/etc/evil', 'sub/file', '..']) {
    const target = join(scratchDir('tdbroker-unpack-'), 'restored')
    await t.rejects(unpackInto(entry(name), target), { name: 'PackError', message: /unsafe path/ }, name)
    t.throws(() => readdirSync(target), `${name}: the target folder was not even created`)
  }
  const twice = writeTar([{ name: 'td.binlog', mode: 0o600, mtime: 0, data: Buffer.from('a') }, { name: 'td.binlog', mode: 0o600, mtime: 0, data: Buffer.from('b') }])
  t.throws(() => readPack(twice), /twice/)

  // Links and folders made by tar itself.
  const odd = scratchDir('tdbroker-odd-')
  symlinkSync('/etc/passwd', join(odd, 'td.binlog'))
  mkdirSync(join(odd, 'photos'))
  for (const [member, kind] of [['td.binlog', 'a link'], ['photos', 'a folder']] as const) {
    const made = join(odd, '..', `odd-${member}.tar`)
    execFileSync('tar', ['cf', made, '-C', odd, member])
    t.throws(() => readPack(readFileSync(made)), { name: 'PackError', message: /which is not a regular file/ }, kind)
  }
})

t.test('a backup in the older TDBPACK1 format (taken before backups were tar archives) is still read', async t => {
  const name = Buffer.from('td.binlog')
  const body = Buffer.from('an old login')
  const header = Buffer.alloc(2 + name.length + 12)
  header.writeUInt16BE(name.length, 0)
  name.copy(header, 2)
  header.writeUInt32BE(0o600, 2 + name.length)
  header.writeBigUInt64BE(BigInt(body.length), 6 + name.length)
  const old = Buffer.concat([Buffer.from('TDBPACK1', 'latin1'), header, body, Buffer.alloc(2)])
  const target = join(scratchDir('tdbroker-unpack-'), 'restored')
  t.same(await unpackInto(old, target), ['td.binlog'])
  t.equal(readFileSync(join(target, 'td.binlog'), 'utf8'), 'an old login')
})

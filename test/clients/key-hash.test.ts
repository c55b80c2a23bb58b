/** Client keys: hashing, checking, the stored form, and `tdbroker client add`. */
import t from 'tap'
import { hashClientKey, newClientKey, parseKeyHash, verifyClientKey, type KeyHash } from '../../src/clients/key-hash.js'
import { clientCommand } from '../../src/cli/client.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { TEST_SCRYPT } from '../helpers/clients.js'

t.test('a key checks against its hash and nothing else does', async t => {
  const key = newClientKey()
  t.match(key, /^tdbk_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url')
  t.not(newClientKey(), key, 'every key is new')
  const stored = await hashClientKey(key, TEST_SCRYPT)
  t.match(stored, /^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/, 'the parameters travel in the string')
  t.notOk(stored.includes(key.slice(5)), 'the hash does not contain the key')
  t.not(await hashClientKey(key, TEST_SCRYPT), stored, 'salted: the same key hashes differently each time')
  const parsed = parseKeyHash(stored) as KeyHash
  t.equal(await verifyClientKey(key, parsed), true)
  t.equal(await verifyClientKey(key + 'x', parsed), false)
  t.equal(await verifyClientKey(key.toUpperCase(), parsed), false)
  t.equal(await verifyClientKey('', parsed), false)
})

t.test('unusable hashes are refused with a reason', async t => {
  const salt = 'A'.repeat(22)
  const hash = 'B'.repeat(43)
  t.match(parseKeyHash('bcrypt$...'), /is not a scrypt key hash/)
  t.match(parseKeyHash(`scrypt$N=1000,r=8,p=1$${salt}$${hash}`), /N must be a power of two/)
  t.match(parseKeyHash(`scrypt$N=2097152,r=8,p=1$${salt}$${hash}`), /N must be a power of two from 1024 to 1048576/)
  t.match(parseKeyHash(`scrypt$N=1024,r=0,p=1$${salt}$${hash}`), /r must be from 1 to 32/)
  t.match(parseKeyHash(`scrypt$N=1048576,r=32,p=1$${salt}$${hash}`), /need more than 256 MiB/)
})

t.test('tdbroker client add prints the key once and an entry with only its hash', async t => {
  const out: string[] = []
  const err: string[] = []
  t.equal(await clientCommand(['add', 'operators-1'], l => out.push(l), l => err.push(l)), 0)
  t.same(err, [])
  const keys = out.join('\n').match(/tdbk_[A-Za-z0-9_-]{43}/g) ?? []
  t.equal(keys.length, 1, 'the key appears exactly once')
  const entryLine = out.find(l => l.trim().startsWith('{"name"'))
  t.ok(entryLine, 'an entry to paste')
  const entry = JSON.parse(entryLine!)
  t.equal(entry.name, 'operators-1')
  t.notOk(JSON.stringify(entry).includes(keys[0]!.slice(5)), 'the entry holds no key')
  const settings = settingsFromObject({ clients: [entry] }, '/x')
  t.equal(settings.clients?.[0]?.scope.sessions, 'own', 'it is a valid settings entry, limited to its own sessions')
  t.equal(await verifyClientKey(keys[0]!, parseKeyHash(entry.key_hash) as KeyHash), true, 'and the printed key matches its hash')

  t.equal(await clientCommand(['add', 'no spaces'], l => out.push(l), l => err.push(l)), 64)
  t.match(err.join('\n'), /^tdbroker client: the name "no spaces" must be 1 to 64 letters/m)
  t.equal(await clientCommand(['add'], l => out.push(l), l => err.push(l)), 64)
  t.equal(await clientCommand(['remove', 'x'], l => out.push(l), l => err.push(l)), 64)
})

/** Sealed backups: AES-256-GCM under the key derived from the database key; stable errors for every way it fails. */
import t from 'tap'
import { isSealed, seal, sealedKeyId, sealKey, sealKeys, unseal } from '../../src/store/seal.js'
import { keyId } from '../../src/session/database-key.js'

const SECRET = 'seal-test-key-0123456789abcdef01'
const OTHER = 'other-test-key-0123456789abcdef0'
const pack = Buffer.concat([Buffer.from('TDBPACK1', 'latin1'), Buffer.from('the login of an account, +15550001001')])

t.test('a sealed pack opens with its key and session id, and shows nothing of the pack', async t => {
  const key = sealKey(SECRET, 'tdlib.database_encryption_key')
  const sealed = seal(pack, key, '123')
  t.ok(isSealed(sealed))
  t.equal(sealed[7], 1, 'format version 1')
  t.equal(sealedKeyId(sealed), keyId(SECRET))
  t.notOk(sealed.includes(Buffer.from('TDBPACK1')) || sealed.includes(Buffer.from('15550001001')))
  t.same(unseal(sealed, [key], '123'), pack)
  t.notSame(seal(pack, key, '123'), sealed, 'a fresh nonce each time')
  t.not(key.bytes.toString('base64'), SECRET, 'the sealing key is derived, not the secret')
})

t.test('an unsealed pack passes through, key or not', async t => {
  t.same(unseal(pack, [], '123'), pack)
  t.same(unseal(pack, sealKeys({ database_encryption_key: SECRET }), '123'), pack)
  t.equal(sealedKeyId(pack), undefined)
})

t.test('wrong key, no key, altered bytes, another session, an unknown version: each its own stable error', async t => {
  const key = sealKey(SECRET, 'tdlib.database_encryption_key')
  const sealed = seal(pack, key, '123')
  t.throws(() => unseal(sealed, sealKeys({ database_encryption_key: OTHER }), '123'),
    { name: 'SealError', code: 'BACKUP_KEY_MISMATCH', message: new RegExp(`^BACKUP_KEY_MISMATCH: the backup of session 123 is sealed with key id ${keyId(SECRET)}, which does not match tdlib\\.database_encryption_key \\(key id ${keyId(OTHER)}\\)`) })
  t.throws(() => unseal(sealed, [], '123'), { code: 'BACKUP_KEY_MISSING' })
  t.same(unseal(sealed, sealKeys({ database_encryption_key: OTHER, previous_database_encryption_key: SECRET }), '123'), pack, 'the previous key opens it')
  const altered = Buffer.from(sealed)
  altered[30] = altered[30]! ^ 1
  t.throws(() => unseal(altered, [key], '123'), { code: 'BACKUP_DAMAGED', message: /does not authenticate/ })
  t.throws(() => unseal(sealed, [key], '124'), { code: 'BACKUP_DAMAGED' }, 'a backup moved to another session does not open')
  const future = Buffer.from(sealed)
  future[7] = 2
  t.throws(() => unseal(future, [key], '123'), { code: 'BACKUP_DAMAGED', message: /format version 2/ })
  t.throws(() => unseal(sealed.subarray(0, 20), [key], '123'), { code: 'BACKUP_DAMAGED', message: /truncated/ })
})

import t from 'tap'
import { settingsFromObject } from '../../src/settings/load.js'
import { maskSecrets, SECRET_MASK, SECRET_PATHS } from '../../src/settings/mask.js'

const secrets = ['0123456789abcdef0123456789abcdef', 'proxy-pass-word', 'db-pass-word']

t.test('every secret is replaced by the same mask, whatever its length', async t => {
  const s = settingsFromObject({
    tdlib: { api_id: 1, api_hash: secrets[0], proxy: { type: 'socks5', host: 'p', port: 1080, username: 'me', password: secrets[1] } },
    mysql: { host: 'db', user: 'u', database: 'd', password: secrets[2] },
  }, '/x')
  const masked = maskSecrets(s) as any
  const text = JSON.stringify(masked)
  for (const secret of secrets) t.notOk(text.includes(secret), `${secret} does not appear`)
  t.equal(masked.tdlib.api_hash, SECRET_MASK)
  t.equal(masked.tdlib.proxy.password, SECRET_MASK)
  t.equal(masked.mysql.password, SECRET_MASK)
  t.equal(SECRET_MASK, '********')
  // What is not secret stays readable.
  t.equal(masked.tdlib.api_id, 1)
  t.equal(masked.tdlib.proxy.username, 'me')
  t.equal(masked.mysql.user, 'u')
})

t.test('the mtproto secret is masked, and an empty password is masked too', async t => {
  const s = settingsFromObject({
    tdlib: { proxy: { type: 'mtproto', host: 'p', port: 443, secret: 'ab'.repeat(16) } },
    mysql: { host: 'db', user: 'u', database: 'd' },
  }, '/x')
  const masked = maskSecrets(s) as any
  t.equal(masked.tdlib.proxy.secret, SECRET_MASK)
  t.equal(masked.mysql.password, SECRET_MASK, 'not even an empty password shows')
})

t.test('a copy: plain, unfrozen, and the settings keep their secrets', async t => {
  const s = settingsFromObject({ tdlib: { api_hash: 'h' } }, '/x')
  const masked = maskSecrets(s) as any
  t.notOk(Object.isFrozen(masked))
  t.equal(s.tdlib.api_hash, 'h')
  t.same(JSON.parse(JSON.stringify(masked)), masked, 'JSON round trip changes nothing')
  t.notOk('proxy' in masked.tdlib, 'absent secrets are not invented')
  t.notOk('mysql' in masked)
})

t.test('SECRET_PATHS lists each secret of the schema', async t => {
  t.same([...SECRET_PATHS].sort(), ['admin.token', 'mysql.password', 'tdlib.api_hash', 'tdlib.database_encryption_key', 'tdlib.previous_database_encryption_key', 'tdlib.proxy.password', 'tdlib.proxy.secret'])
})

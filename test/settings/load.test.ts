import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { embeddedDefaults, loadSettings, settingsFromObject } from '../../src/settings/load.js'
import {
  EMBEDDED_ALLOWED_REQUESTS, EMBEDDED_ALLOWED_UPDATES, EMBEDDED_PORT, SIPTG_AUTH_REQUESTS,
} from '../../src/settings/embedded.js'
import { exampleFile, fixturesDir, repoRoot, siptgFixture } from './fixtures/helpers.js'

t.test('the siptg example loads unchanged, with siptg defaults filled in', async t => {
  const s = loadSettings(siptgFixture)
  t.equal(s.file, siptgFixture)
  t.equal(s.base_dir, fixturesDir)
  // Values the file sets.
  t.equal(s.debug_level, 2)
  t.equal(s.terminate_delay, 60)
  t.equal(s.host, 'localhost')
  t.equal(s.port, 23456)
  t.equal(s.tdlib.api_id, 94575)
  t.equal(s.tdlib.api_hash, 'API_HASH')
  t.equal(s.allowed_requests.length, 31, 'duplicates and unknown names are kept, not dropped')
  t.same(s.allowed_updates.slice(0, 2), ['updateNewMessage', 'updateCall'])
  // Defaults it leaves out.
  t.equal(s.offline, false)
  t.equal(s.format_markdown, true)
  t.equal(s.tdlib.debug_level, 0)
  t.equal(s.tdlib.backend, 'tdlib')
  t.equal(s.tdlib.proxy, undefined)
  t.equal(s.mysql, undefined)
  t.equal(s.tls, undefined)
  t.equal(s.websocket, undefined)
  t.equal(s.max_frame_size, 1048576)
  t.equal(s.max_client_queue, 8388608)
  t.equal(s.max_pending_requests, 4096)
  t.equal(s.allow_public_plain, false)
})

t.test('relative paths are resolved against the folder of the settings file', async t => {
  const s = loadSettings(siptgFixture)
  t.equal(s.logfile, join(fixturesDir, 'storage.log'))
  t.equal(s.tdlib.path, join(fixturesDir, 'sessions'))
})

t.test('request_peers and format_fields values always come out as lists', async t => {
  const s = loadSettings(siptgFixture)
  t.same(s.request_peers, {
    sendMessage: ['chat_id'],
    getInlineQueryResults: ['bot_user_id', 'chat_id'],
    sendInlineQueryResultMessage: ['chat_id'],
    createCall: ['user_id'],
    getUser: ['user_id'],
  })
  t.same(s.format_fields, { inputMessageText: ['text'], inputMessageDocument: ['caption'] })
})

t.test('the result is frozen all the way down', async t => {
  const s = loadSettings(siptgFixture) as any
  t.throws(() => { s.port = 1 }, TypeError)
  t.throws(() => { s.tdlib.path = '/tmp' }, TypeError)
  t.throws(() => { s.allowed_requests.push('close') }, TypeError)
  t.throws(() => { s.request_peers.sendMessage[0] = 'x' }, TypeError)
  t.throws(() => { s.extra = true }, TypeError)
})

t.test('settingsFromObject leaves its argument untouched and resolves every kind of path', async t => {
  const input = {
    logfile: 'log/broker.log',
    tdlib: { path: '/abs/sessions', sandbox_world: 'world.json', backend: 'sandbox' },
    request_peers: { getUser: 'user_id' },
    mysql: { host: 'db', user: 'u', database: 'd', ssl: { key: 'k.pem', cert: 'c.pem', ca: '/etc/ca.pem' } },
    tls: { port: 50002, cert: 'ssl/cert.pem', key: 'ssl/key.pem', ca: 'ssl/ca.pem' },
  }
  const before = JSON.stringify(input)
  const s = settingsFromObject(input, '/srv/tdbroker')
  t.equal(JSON.stringify(input), before, 'no defaults were written into the argument')
  t.equal(s.file, undefined)
  t.notOk('file' in s, 'no file key at all for settings without a file')
  t.equal(s.base_dir, '/srv/tdbroker')
  t.equal(s.logfile, '/srv/tdbroker/log/broker.log')
  t.equal(s.tdlib.path, '/abs/sessions', 'absolute paths stay as they are')
  t.equal(s.tdlib.sandbox_world, '/srv/tdbroker/world.json')
  t.same(s.mysql?.ssl, { key: '/srv/tdbroker/k.pem', cert: '/srv/tdbroker/c.pem', ca: '/etc/ca.pem' })
  t.equal(s.tls?.cert, '/srv/tdbroker/ssl/cert.pem')
  t.equal(s.tls?.key, '/srv/tdbroker/ssl/key.pem')
  t.equal(s.tls?.ca, '/srv/tdbroker/ssl/ca.pem')
})

t.test('section defaults are filled in', async t => {
  const s = settingsFromObject({
    tdlib: { proxy: { type: 'http', host: 'proxy', port: 3128 } },
    mysql: { host: 'db', user: 'u', database: 'd' },
    tls: { port: 50002, cert: 'c', key: 'k', verify_clients: false },
    websocket: { port: 8080 },
  }, '/x')
  t.same(s.tdlib.proxy, { type: 'http', host: 'proxy', port: 3128, http_only: false })
  t.same(s.mysql, {
    host: 'db', port: 3306, user: 'u', password: '', database: 'd',
    charset: 'utf8', read_timeout: 0, debug: false, backup_interval: 3600,
  })
  t.same(s.tls, {
    host: '::', port: 50002, cert: '/x/c', key: '/x/k',
    verify_clients: false, expiry_warning_days: 30, allow_expired: false,
  })
  t.same(s.websocket, { host: 'localhost', port: 8080, path: '/', tls: false, allowed_origins: [] })
})

t.test('an empty object is valid and gives the schema defaults', async t => {
  const s = settingsFromObject({}, '/x')
  t.equal(s.port, 0)
  t.equal(s.debug_level, 4)
  t.equal(s.tdlib.path, '/x/sessions')
  t.same(s.allowed_requests, [])
  t.same(s.request_peers, {})
})

t.test('settings.example.json loads', async t => {
  const s = loadSettings(exampleFile)
  t.equal(s.port, 23456)
  t.equal(s.host, 'localhost')
  t.equal(s.tdlib.api_id, 12345)
  t.equal(s.tdlib.path, join(repoRoot, 'sessions'))
  t.ok(s.allowed_requests.includes('sendMessage'))
  t.ok(s.allowed_updates.includes('updateCall'))
  t.same(s.request_peers.getInlineQueryResults, ['bot_user_id', 'chat_id'])
  t.same(s.format_fields.inputMessageText, ['text'])
})

t.test('settings.example.json whitelists what the siptg example does, minus what TDLib lacks', async t => {
  const siptg = JSON.parse(readFileSync(siptgFixture, 'utf8'))
  const example = loadSettings(exampleFile)
  const dropped = new Set(['receiveCall', 'restoreCall'])
  // plus two TDLib test requests, so the README's round trip works after copying the example
  t.same([...[...new Set(siptg.allowed_requests)].filter(n => !dropped.has(n as string)), 'testSquareInt', 'testCallString'], example.allowed_requests)
  t.same(siptg.allowed_updates, example.allowed_updates)
})

t.test('embedded defaults: schema defaults, port 23456, sessions under cwd, the demo whitelist', async t => {
  const s = embeddedDefaults('/home/me/work')
  t.equal(s.file, undefined)
  t.equal(s.base_dir, '/home/me/work')
  t.equal(s.port, EMBEDDED_PORT)
  t.equal(s.port, 23456)
  t.equal(s.host, 'localhost')
  t.equal(s.tdlib.path, '/home/me/work/storage/sessions')
  t.equal(s.tdlib.backend, 'tdlib')
  t.same(s.allowed_requests, EMBEDDED_ALLOWED_REQUESTS)
  t.same(s.allowed_updates, EMBEDDED_ALLOWED_UPDATES)
  for (const name of [...SIPTG_AUTH_REQUESTS, 'getMe', 'getUser', 'getChat', 'getChats', 'sendMessage', 'getOption',
    'testSquareInt', 'testCallString', 'testCallEmpty', 'testReturnError']) {
    t.ok(s.allowed_requests.includes(name), `${name} is allowed`)
  }
  t.same([...s.allowed_updates].sort(),
    ['updateCall', 'updateMessageSendSucceeded', 'updateNewCallbackQuery', 'updateNewMessage', 'updateUser'])
  t.ok(Object.isFrozen(s.tdlib))
})

t.test('the embedded auth requests are the authentication requests of the siptg example', async t => {
  const siptg = JSON.parse(readFileSync(siptgFixture, 'utf8')) as { allowed_requests: string[] }
  for (const name of SIPTG_AUTH_REQUESTS) t.ok(siptg.allowed_requests.includes(name), `${name} is in the siptg example`)
  const auth = siptg.allowed_requests.filter(n => /Authentication|^logOut$/.test(n))
  t.same([...new Set(auth)].sort(), [...SIPTG_AUTH_REQUESTS].sort())
})

import t from 'tap'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { loadSettings, settingsFromObject, SettingsError } from '../../src/settings/load.js'
import { settingsErrorOf } from './fixtures/helpers.js'

/** The problems settingsFromObject reports for `obj`. */
const problemsOf = (obj: unknown) => settingsErrorOf(() => settingsFromObject(obj, '/x')).problems

t.test('unknown keys are errors, at the top level and nested, with a guess for typos', async t => {
  t.same(problemsOf({ prot: 1 }), ['/: unknown key "prot" (did you mean "port"?)'])
  t.same(problemsOf({ tdlib: { pth: 's' } }), ['/tdlib: unknown key "pth" (did you mean "path"?)'])
  t.same(problemsOf({ mysql: { host: 'h', user: 'u', database: 'd', ssl: { crt: 'x' } } }),
    ['/mysql/ssl: unknown key "crt" (did you mean "cert"?)'])
  t.same(problemsOf({ colour: 'red' }), ['/: unknown key "colour"'], 'no guess when nothing is close')
})

t.test('wrong types name the path, what was expected and what was found', async t => {
  t.same(problemsOf({ port: '23456' }), ['/port: must be an integer from 0 to 65535 (got "23456")'])
  t.same(problemsOf({ offline: 'no' }), ['/offline: must be true or false (got "no")'])
  t.same(problemsOf({ host: 5 }), ['/host: must be a non-empty string (got 5)'])
  t.same(problemsOf({ tdlib: 'tdlib' }), ['/tdlib: must be an object (got "tdlib")'])
  t.same(problemsOf({ allowed_requests: 'getMe' }), ['/allowed_requests: must be an array of non-empty strings (got "getMe")'])
  t.same(problemsOf({ allowed_updates: ['updateCall', 7] }), ['/allowed_updates/1: must be a non-empty string (got 7)'])
  t.same(problemsOf({ terminate_delay: null }), ['/terminate_delay: must be a number of at least 0 (got null)'])
})

t.test('out-of-range values', async t => {
  t.same(problemsOf({ debug_level: 7 }), ['/debug_level: must be an integer from 0 to 6 (got 7)'])
  t.same(problemsOf({ tdlib: { debug_level: 5 } }), ['/tdlib/debug_level: must be an integer from 0 to 4 (got 5)'])
  t.same(problemsOf({ port: 65536 }), ['/port: must be an integer from 0 to 65535 (got 65536)'])
  t.same(problemsOf({ port: 1.5 }), ['/port: must be an integer from 0 to 65535 (got 1.5)'])
  t.same(problemsOf({ terminate_delay: -1 }), ['/terminate_delay: must be a number of at least 0 (got -1)'])
  t.same(problemsOf({ max_frame_size: 1023 }), ['/max_frame_size: must be an integer of at least 1024 (got 1023)'])
  t.same(problemsOf({ max_client_queue: 1000 }), ['/max_client_queue: must be an integer of at least 65536 (got 1000)'])
  t.same(problemsOf({ max_pending_requests: 0 }), ['/max_pending_requests: must be an integer of at least 1 (got 0)'])
  t.same(problemsOf({ tdlib: { api_id: 0 } }), ['/tdlib/api_id: must be an integer of at least 1 (got 0)'])
  t.same(problemsOf({ tdlib: { api_hash: '' } }), ['/tdlib/api_hash: must be a non-empty string (got "")'])
})

t.test('bad enum values list the choices', async t => {
  t.same(problemsOf({ tdlib: { backend: 'real' } }), ['/tdlib/backend: must be one of "tdlib", "sandbox" (got "real")'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'socks4', host: 'h', port: 1 } } }),
    ['/tdlib/proxy/type: must be one of "socks5", "http", "mtproto" (got "socks4")'])
})

t.test('proxy: the keys each type takes', async t => {
  t.same(problemsOf({ tdlib: { proxy: { type: 'http', host: 'h', port: '80a' } } }),
    ['/tdlib/proxy/port: must be an integer from 1 to 65535 (got "80a")'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'socks5', hots: 'h', port: 1080 } } }), [
    '/tdlib/proxy: missing required key "host" (needed when type is "socks5")',
    '/tdlib/proxy: key "hots" is not allowed when type is "socks5" (did you mean "host"?)',
  ])
  t.same(problemsOf({ tdlib: { proxy: { host: 'h', port: 1 } } }), ['/tdlib/proxy: missing required key "type"'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'mtproto', host: 'h', port: 443 } } }),
    ['/tdlib/proxy: missing required key "secret" (needed when type is "mtproto")'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'mtproto', host: 'h', port: 443, secret: 'xyz' } } }),
    ['/tdlib/proxy/secret: must be the secret in hexadecimal: an even number of hex digits, at least 32 (got "xyz")'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'mtproto', host: 'h', port: 443, secret: 'ab'.repeat(16), password: 'p' } } }),
    ['/tdlib/proxy: key "password" is not allowed when type is "mtproto"'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'socks5', host: 'h', port: 1080, secret: 'ab'.repeat(16) } } }),
    ['/tdlib/proxy: key "secret" is not allowed when type is "socks5"'])
  t.same(problemsOf({ tdlib: { proxy: { type: 'socks5', host: 'h', port: 1080, http_only: true } } }),
    ['/tdlib/proxy: key "http_only" is not allowed when type is "socks5"'])
  // And the shapes that are right pass.
  t.doesNotThrow(() => settingsFromObject({ tdlib: { proxy: { type: 'socks5', host: 'h', port: 1080, username: 'u', password: 'p' } } }, '/x'))
  t.doesNotThrow(() => settingsFromObject({ tdlib: { proxy: { type: 'http', host: 'h', port: 3128, http_only: true } } }, '/x'))
  t.doesNotThrow(() => settingsFromObject({ tdlib: { proxy: { type: 'mtproto', host: 'h', port: 443, secret: 'dd' + 'ab'.repeat(16) } } }, '/x'))
})

t.test('mysql: every missing required key is named', async t => {
  t.same(problemsOf({ mysql: {} }), [
    '/mysql: missing required key "host"',
    '/mysql: missing required key "user"',
    '/mysql: missing required key "database"',
  ])
  t.same(problemsOf({ mysql: { host: 'db', user: 'u' } }), ['/mysql: missing required key "database"'])
  t.same(problemsOf({ mysql: { host: 'db', user: 'u', database: 'd', read_timeout: -5 } }),
    ['/mysql/read_timeout: must be a number of at least 0 (got -5)'])
})

t.test('request_peers and format_fields values', async t => {
  t.same(problemsOf({ request_peers: { getUser: 5, sendMessage: [], createCall: ['user_id', ''] } }), [
    '/request_peers/getUser: must be a field name or a non-empty array of field names (got 5)',
    '/request_peers/sendMessage: must be a field name or a non-empty array of field names (got [])',
    '/request_peers/createCall: must be a field name or a non-empty array of field names (got ["user_id",""])',
  ])
  t.same(problemsOf({ format_fields: { inputMessageText: { field: 'text' } } }),
    ['/format_fields/inputMessageText: must be a field name or an array of field names (got {"field":"text"})'])
})

t.test('tls and websocket rules', async t => {
  t.same(problemsOf({ tls: { port: 50002, cert: 'c', key: 'k' } }),
    ['/tls: missing required key "ca" (verify_clients is true, so client certificates need a CA to be checked against)'])
  t.same(problemsOf({ tls: { port: 50002, cert: 'c', key: 'k', verify_clients: true } }).length, 1)
  t.doesNotThrow(() => settingsFromObject({ tls: { port: 50002, cert: 'c', key: 'k', verify_clients: false } }, '/x'))
  t.same(problemsOf({ tls: { cert: 'c', key: 'k', ca: 'a', port: 65536 } }), ['/tls/port: must be an integer from 0 to 65535 (got 65536)'])
  t.doesNotThrow(() => settingsFromObject({ tls: { cert: 'c', key: 'k', ca: 'a', port: 0 } }, '/x'), 'port 0 picks a free port, as for the plain listener')
  t.same(problemsOf({ websocket: { port: 8080, tls: true } }),
    ['/: missing required key "tls" (websocket/tls is true, and HTTPS takes its certificate and key from the tls section)'])
  t.same(problemsOf({ websocket: { port: 8080, path: 'ws' } }),
    ['/websocket/path: must be a URL path starting with "/" (got "ws")'])
  t.same(problemsOf({ websocket: {} }), ['/websocket: missing required key "port"'])
  t.doesNotThrow(() => settingsFromObject({
    tls: { port: 50002, cert: 'c', key: 'k', ca: 'a' }, websocket: { port: 0, tls: true },
  }, '/x'))
})

t.test('every problem is reported at once, in one error', async t => {
  const err = settingsErrorOf(() => settingsFromObject({
    prot: 1,
    debug_level: 9,
    tdlib: { proxy: { type: 'http', host: 'h', port: '80a', hots: 'x' } },
    mysql: { host: 'db', user: 'u' },
  }, '/x', '/etc/tdbroker/settings.json'))
  t.equal(err.code, 'SETTINGS_INVALID')
  t.equal(err.file, '/etc/tdbroker/settings.json')
  t.same(err.problems, [
    '/: unknown key "prot" (did you mean "port"?)',
    '/debug_level: must be an integer from 0 to 6 (got 9)',
    '/tdlib/proxy: key "hots" is not allowed when type is "http" (did you mean "host"?)',
    '/tdlib/proxy/port: must be an integer from 1 to 65535 (got "80a")',
    '/mysql: missing required key "database"',
  ])
  for (const problem of err.problems) t.ok(err.message.includes(problem), `the message lists ${problem}`)
  t.match(err.message, /^\/etc\/tdbroker\/settings\.json: 5 problems\n/)
  t.notMatch(err.message, /must NOT|must have required property|anyOf|oneOf|discriminator/, 'no raw ajv wording')
})

t.test('the top level must be an object', async t => {
  for (const [value, got] of [[[], 'an array'], [null, 'null'], ['x', 'a string'], [3, 'a number']] as const) {
    t.same(problemsOf(value), [`/: the settings must be a JSON object (got ${got})`])
  }
})

t.test('files: not found, a folder, invalid JSON with line and column, top level not an object', async t => {
  const dir = t.testdir({
    'trailing.json': '{\n  "port": 23456,\n}\n',
    'bare.json': '{\n  "port": 23456,\n  "host": localhost\n}\n',
    'array.json': '["port"]',
    'folder': {},
  })
  const missing = settingsErrorOf(() => loadSettings(join(dir, 'nope.json')))
  t.equal(missing.code, 'SETTINGS_NOT_FOUND')
  t.same(missing.problems, ['file not found'])
  t.match(missing.message, join(dir, 'nope.json'))

  const folder = settingsErrorOf(() => loadSettings(join(dir, 'folder')))
  t.equal(folder.code, 'SETTINGS_UNREADABLE')

  const trailing = settingsErrorOf(() => loadSettings(join(dir, 'trailing.json')))
  t.equal(trailing.code, 'SETTINGS_INVALID_JSON')
  t.same(trailing.problems, [`invalid JSON at line 3, column 1: expected another key after ',' (JSON allows no trailing comma), found "}"`])

  const bare = settingsErrorOf(() => loadSettings(join(dir, 'bare.json')))
  t.same(bare.problems, ['invalid JSON at line 3, column 11: expected a value (strings need double quotes), found localhost'])

  const array = settingsErrorOf(() => loadSettings(join(dir, 'array.json')))
  t.equal(array.code, 'SETTINGS_INVALID')
  t.same(array.problems, ['/: the settings must be a JSON object (got an array)'])
})

t.test('an unreadable file', { skip: process.getuid?.() === 0 ? 'root can read any file' : false }, async t => {
  const dir = t.testdir({ 'secret.json': '{}' })
  chmodSync(join(dir, 'secret.json'), 0o000)
  const err = settingsErrorOf(() => loadSettings(join(dir, 'secret.json')))
  t.equal(err.code, 'SETTINGS_UNREADABLE')
  t.same(err.problems, ['the file cannot be read (EACCES)'])
})

t.test('a path through a file is unreadable too, whoever runs the test', async t => {
  const dir = t.testdir({ 'plain.json': '{}' })
  const err = settingsErrorOf(() => loadSettings(join(dir, 'plain.json', 'settings.json')))
  t.equal(err.code, 'SETTINGS_UNREADABLE')
  t.same(err.problems, ['the file cannot be read (ENOTDIR)'])
})

t.test('a byte order mark at the start is tolerated', async t => {
  const dir = t.testdir({ 'bom.json': '\uFEFF{ "port": 1 }' })
  t.equal(loadSettings(join(dir, 'bom.json')).port, 1)
})

t.test('SettingsError is an Error with a stable name', async t => {
  const err = settingsErrorOf(() => settingsFromObject({ prot: 1 }, '/x'))
  t.ok(err instanceof Error)
  t.ok(err instanceof SettingsError)
  t.equal(err.name, 'SettingsError')
  t.equal(err.file, undefined)
  t.match(err.message, /^settings: 1 problem\n/)
  t.throws(() => { (err.problems as string[]).push('x') }, TypeError, 'problems cannot be changed')
})

import t from 'tap'
import { loadSettings, settingsFromObject, embeddedDefaults } from '../../src/settings/load.js'
import { settingsWarnings } from '../../src/settings/warnings.js'
import { TDLIB_FUNCTIONS, TDLIB_TYPES, TDLIB_UPDATES, TDLIB_VERSION } from '../../src/settings/tdlib-names.js'
import { exampleFile, siptgFixture } from './fixtures/helpers.js'

const credentials = { api_id: 12345, api_hash: '0123456789abcdef0123456789abcdef' }
/** Every settings file without a clients list gets this one, last. */
const OPEN_ACCESS = "/clients: not set, so every connection is trusted: anyone who can reach the broker's ports has full access to every session (declare clients: docs/clients.md)"
const warningsOf = (obj: Record<string, unknown>) =>
  settingsWarnings(settingsFromObject({ allowed_requests: ['getMe'], ...obj, tdlib: { ...credentials, ...(obj.tdlib as object) } }, '/x'))

t.test('the siptg example: names TDLib lacks, a duplicate, a placeholder api_hash', async t => {
  t.equal(TDLIB_VERSION, '1.8.65')
  t.same(settingsWarnings(loadSettings(siptgFixture)), [
    '/tdlib/api_hash: is not the 32 hexadecimal digits that my.telegram.org issues, so Telegram will likely refuse it',
    '/allowed_requests/14: receiveCall is not a TDLib 1.8.65 request type; is it a typo?',
    '/allowed_requests/16: restoreCall is not a TDLib 1.8.65 request type; is it a typo?',
    '/allowed_requests/21: "checkAuthenticationBotToken" is listed more than once',
    OPEN_ACCESS,
  ])
})

t.test('settings.example.json and the embedded defaults raise no warnings, bar missing credentials and open access', async t => {
  t.same(settingsWarnings(loadSettings(exampleFile)), [OPEN_ACCESS])
  t.same(settingsWarnings(embeddedDefaults('/x')),
    ['/tdlib: api_id and api_hash are not set, so sessions cannot log in (get them at https://my.telegram.org/apps)', OPEN_ACCESS])
})

t.test('the name lists know what they should', async t => {
  t.ok(TDLIB_FUNCTIONS.has('sendMessage'))
  t.ok(TDLIB_FUNCTIONS.has('testSquareInt'))
  t.notOk(TDLIB_FUNCTIONS.has('receiveCall'))
  t.ok(TDLIB_UPDATES.has('updateNewMessage'))
  t.notOk(TDLIB_UPDATES.has('sendMessage'))
  t.ok(TDLIB_TYPES.has('inputMessageText'), 'types TDLib only accepts are included')
  t.ok(TDLIB_TYPES.has('user'), 'types TDLib only returns are included')
  t.notOk(TDLIB_TYPES.has('getMe'), 'functions are kept out of the type list')
})

t.test('misspelt names get a guess', async t => {
  t.same(warningsOf({ allowed_requests: ['getMe', 'sendMesage'], allowed_updates: ['updateNewMesage', 'updateBogus'] }), [
    '/allowed_requests/1: sendMesage is not a TDLib 1.8.65 request type; did you mean sendMessage?',
    '/allowed_updates/0: updateNewMesage is not a TDLib 1.8.65 update type; did you mean updateNewMessage?',
    '/allowed_updates/1: updateBogus is not a TDLib 1.8.65 update type; is it a typo?',
    OPEN_ACCESS,
  ])
})

t.test('a function is not an update and an update is not a request', async t => {
  t.same(warningsOf({ allowed_requests: ['getMe', 'updateNewMessage'], allowed_updates: ['getMe'] }), [
    '/allowed_requests/1: updateNewMessage is not a TDLib 1.8.65 request type; is it a typo?',
    '/allowed_updates/0: getMe is not a TDLib 1.8.65 update type; is it a typo?',
    OPEN_ACCESS,
  ])
})

t.test('request_peers and format_fields names', async t => {
  t.same(warningsOf({
    allowed_requests: ['getMe', 'getUser'],
    request_peers: { getUser: 'user_id', createCall: 'user_id', getUsr: 'user_id' },
    format_fields: { inputMessageText: 'text', inputMesageText: 'text', sendMessage: 'x' },
  }), [
    '/request_peers/createCall: createCall is not in allowed_requests, so this entry never applies',
    '/request_peers/getUsr: getUsr is not a TDLib 1.8.65 request type; did you mean getUser?',
    '/format_fields/inputMesageText: inputMesageText is not a TDLib 1.8.65 type; did you mean inputMessageText?',
    OPEN_ACCESS,
  ])
})

t.test('an empty allowed_requests refuses everything', async t => {
  t.same(warningsOf({ allowed_requests: [] }), ['/allowed_requests: is empty, so every TDLib request will be refused', OPEN_ACCESS])
})

t.test('missing credentials only matter for the tdlib backend', async t => {
  const noHash = settingsFromObject({ allowed_requests: ['getMe'], tdlib: { api_id: 1 } }, '/x')
  t.same(settingsWarnings(noHash),
    ['/tdlib: api_hash is not set, so sessions cannot log in (get them at https://my.telegram.org/apps)', OPEN_ACCESS])
  const sandbox = settingsFromObject({ allowed_requests: ['getMe'], tdlib: { backend: 'sandbox' } }, '/x')
  t.same(settingsWarnings(sandbox), [OPEN_ACCESS])
})

t.test('requests the broker owns are ignored in the whitelist, and said so', async t => {
  t.same(warningsOf({ allowed_requests: ['getMe', 'setTdlibParameters', 'setLogStream'] }), [
    '/allowed_requests/1: the broker always refuses setTdlibParameters from clients; this entry is ignored',
    '/allowed_requests/2: the broker always refuses setLogStream from clients; this entry is ignored',
    OPEN_ACCESS,
  ])
})

t.test('duplicates in allowed_updates too', async t => {
  t.same(warningsOf({ allowed_updates: ['updateCall', 'updateUser', 'updateCall'] }),
    ['/allowed_updates/2: "updateCall" is listed more than once', OPEN_ACCESS])
})

import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSandboxBackend, MARKER_FILE, SERVICE_USER_ID } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, Session, authUpdate, connectionUpdate, loginBot, loginUser, problems, start, tempRoot, textOf } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

t.test('a fresh client: WaitTdlibParameters first, then Connecting -> WaitPhoneNumber -> Ready', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const s = new Session(sandbox, root.dir('fresh'))
  t.equal(s.updates.length, 0, 'nothing is emitted before createClient returns')
  await s.next(authUpdate('authorizationStateWaitTdlibParameters'))
  t.same(s.typesSince(0), ['auth:WaitTdlibParameters'], 'the first update is WaitTdlibParameters')
  const early = await s.invoke({ '@type': 'getMe' })
  t.same(early, { '@type': 'error', code: 400, message: 'Initialization parameters are needed: call setTdlibParameters first' })
  const version = await s.invoke({ '@type': 'getOption', name: 'version' })
  t.same(version, { '@type': 'optionValueString', value: '1.8.65' }, 'options work before setTdlibParameters')
  await s.ok({ '@type': 'setTdlibParameters', database_directory: s.directory, api_id: 1, api_hash: 'x' })
  await s.next(connectionUpdate('connectionStateReady'))
  t.same(s.typesSince(1).filter(x => x !== 'updateOption'), ['conn:Connecting', 'auth:WaitPhoneNumber', 'conn:Ready'])
  t.same(await s.invoke({ '@type': 'getMe' }), { '@type': 'error', code: 401, message: 'Unauthorized' })
  t.same(await s.invoke({ '@type': 'getOption', name: 'tdbroker_sandbox' }), { '@type': 'optionValueBoolean', value: true })
  t.same(await s.invoke({ '@type': 'setTdlibParameters' }), { '@type': 'error', code: 400, message: 'Call to setTdlibParameters unexpected' })
  await s.close()
})

t.test('phone login with a 2FA password, and the errors on the way', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const s = await start(sandbox, root.dir('bob-2fa'))
  await s.next(authUpdate('authorizationStateWaitPhoneNumber'))
  t.same(await s.invoke({ '@type': 'checkAuthenticationCode', code: '12345' }),
    { '@type': 'error', code: 400, message: 'Call to checkAuthenticationCode unexpected' })
  t.same(await s.invoke({ '@type': 'setAuthenticationPhoneNumber', phone_number: '12ab' }),
    { '@type': 'error', code: 400, message: 'PHONE_NUMBER_INVALID' })
  await s.ok({ '@type': 'setAuthenticationPhoneNumber', phone_number: '+1 555 000 0102' })
  t.match(await s.auth('authorizationStateWaitCode'), {
    code_info: { phone_number: '+15550000102', type: { '@type': 'authenticationCodeTypeSms', length: 5 } },
  }, 'no other session is logged in, so the code goes by SMS')
  t.same(await s.invoke({ '@type': 'checkAuthenticationCode', code: '00000' }),
    { '@type': 'error', code: 400, message: 'PHONE_CODE_INVALID' })
  await s.ok({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode('15550000102') })
  t.match(await s.auth('authorizationStateWaitPassword'), { password_hint: 'not public' })
  t.same(await s.invoke({ '@type': 'checkAuthenticationPassword', password: 'guess' }),
    { '@type': 'error', code: 400, message: 'PASSWORD_HASH_INVALID' })
  await s.ok({ '@type': 'checkAuthenticationPassword', password: 'secret' })
  await s.next(authUpdate('authorizationStateReady'))
  const me = await s.ok({ '@type': 'getMe' })
  t.match(me, { '@type': 'user', id: 102, first_name: 'Bob', phone_number: '15550000102' })
  t.same(await s.invoke({ '@type': 'getOption', name: 'my_id' }), { '@type': 'optionValueInteger', value: '102' })
  await s.close()
})

t.test('the login code also arrives from "Telegram" (777000) in a session already logged in', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const first = await loginUser(sandbox, root.dir('alice-1'), '15550000101')
  first.skip()
  const second = await start(sandbox, root.dir('alice-2'))
  await second.ok({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550000101' })
  t.match(await second.next(authUpdate('authorizationStateWaitCode')), {
    authorization_state: { code_info: { type: { '@type': 'authenticationCodeTypeTelegramMessage', length: 5 } } },
  })
  const service = await first.next('updateUser')
  t.match(service, { user: { id: SERVICE_USER_ID, first_name: 'Telegram', is_support: true } }, 'Telegram is introduced first')
  const message = (await first.next('updateNewMessage')).message as TdObject
  t.equal(message.chat_id, SERVICE_USER_ID)
  t.match(textOf(message), /^Login code: 12345\./)
  const code = /Login code: (\d+)/.exec(textOf(message))![1]!
  await second.ok({ '@type': 'checkAuthenticationCode', code })
  await second.next(authUpdate('authorizationStateReady'))
  await first.close()
  await second.close()
})

t.test('an unknown number goes through registration and becomes a new user', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const s = await start(sandbox, root.dir('newcomer'))
  await s.ok({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15559999999' })
  await s.next(authUpdate('authorizationStateWaitCode'))
  await s.ok({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode('15559999999') })
  t.match(await s.auth('authorizationStateWaitRegistration'), { terms_of_service: { '@type': 'termsOfService' } })
  t.same(await s.invoke({ '@type': 'registerUser', first_name: '  ' }), { '@type': 'error', code: 400, message: 'FIRSTNAME_INVALID' })
  await s.ok({ '@type': 'registerUser', first_name: 'Nina', last_name: 'New' })
  await s.next(authUpdate('authorizationStateReady'))
  const me = await s.ok({ '@type': 'getMe' })
  t.match(me, { first_name: 'Nina', last_name: 'New', phone_number: '15559999999' })
  t.equal(sandbox.world.userId('15559999999'), me.id, 'the world knows the new user')
  await s.close()
})

t.test('a user seeded as needing an email address sets and confirms one before the code', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const s = await start(sandbox, root.dir('carol'))
  await s.ok({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550000103' })
  t.match(await s.auth('authorizationStateWaitEmailAddress'), { allow_apple_id: false, allow_google_id: false })
  t.same(await s.invoke({ '@type': 'setAuthenticationEmailAddress', email_address: 'not-an-email' }),
    { '@type': 'error', code: 400, message: 'EMAIL_INVALID' })
  await s.ok({ '@type': 'setAuthenticationEmailAddress', email_address: 'carol@example.com' })
  t.match(await s.auth('authorizationStateWaitEmailCode'), {
    code_info: { email_address_pattern: 'c***@example.com', length: 6 },
  })
  const code = (value: string): TdObject => ({ '@type': 'checkAuthenticationEmailCode', code: { '@type': 'emailAddressAuthenticationCode', code: value } })
  t.same(await s.invoke(code('111111')), { '@type': 'error', code: 400, message: 'EMAIL_CODE_INVALID' })
  await s.ok(code(sandbox.world.emailCode('15550000103')))
  await s.next(authUpdate('authorizationStateWaitCode'))
  await s.ok({ '@type': 'checkAuthenticationCode', code: '77777' })
  await s.next(authUpdate('authorizationStateReady'))
  await s.ok({ '@type': 'logOut' })
  await s.next(authUpdate('authorizationStateClosed'))

  const again = await start(sandbox, root.dir('carol'))
  const mark = again.updates.length
  await again.ok({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550000103' })
  t.same(again.typesSince(mark), ['auth:WaitCode'], 'once set, the email address is not asked again')
  await again.close()
})

t.test('bots log in with their token; a bad token is ACCESS_TOKEN_INVALID', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const s = await start(sandbox, root.dir('bad-bot'))
  t.same(await s.invoke({ '@type': 'checkAuthenticationBotToken', token: '900:wrong' }),
    { '@type': 'error', code: 400, message: 'ACCESS_TOKEN_INVALID' })
  t.same(await s.invoke({ '@type': 'checkAuthenticationBotToken', token: 'garbage' }),
    { '@type': 'error', code: 400, message: 'ACCESS_TOKEN_INVALID' })
  await s.close()
  const bot = await loginBot(sandbox, root.dir('bot'), '900:keys-token')
  t.match(await bot.ok({ '@type': 'getMe' }), { id: 900, type: { '@type': 'userTypeBot' }, usernames: { active_usernames: ['keys_bot'] } })
  await bot.close()
})

t.test('QR login, confirmed from a session of the same account', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const phone = await loginUser(sandbox, root.dir('dan-phone'), '15550000104')
  const desktop = await start(sandbox, root.dir('dan-desktop'))
  await desktop.next(authUpdate('authorizationStateWaitPhoneNumber'))
  await desktop.ok({ '@type': 'requestQrCodeAuthentication', other_user_ids: [] })
  const waiting = await desktop.auth('authorizationStateWaitOtherDeviceConfirmation')
  const link = waiting.link as string
  t.match(link, /^tg:\/\/login\?token=[A-Za-z0-9_-]+$/)
  t.same(await phone.invoke({ '@type': 'confirmQrCodeAuthentication', link: 'tg://login?token=nope' }),
    { '@type': 'error', code: 400, message: 'AUTH_TOKEN_EXPIRED' })
  const session = await phone.ok({ '@type': 'confirmQrCodeAuthentication', link })
  t.match(session, { '@type': 'session', is_current: false, device_model: 'tap' })
  await desktop.next(authUpdate('authorizationStateReady'))
  t.match(await desktop.ok({ '@type': 'getMe' }), { id: 104 })
  t.same(await phone.invoke({ '@type': 'confirmQrCodeAuthentication', link }),
    { '@type': 'error', code: 400, message: 'AUTH_TOKEN_EXPIRED' }, 'a link works once')
  await phone.close()
  await desktop.close()
})

t.test('logOut: LoggingOut -> Closing -> Closed, onClosed, and the folder starts over', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const dir = root.dir('logout')
  const s = await loginUser(sandbox, dir, '15550000104')
  t.ok(existsSync(join(dir, MARKER_FILE)), 'a logged-in folder holds the marker')
  const mark = s.updates.length
  await s.ok({ '@type': 'logOut' })
  await s.next(authUpdate('authorizationStateClosed'))
  t.same(s.typesSince(mark), ['auth:LoggingOut', 'auth:Closing', 'auth:Closed'])
  t.ok(s.closed, 'onClosed was called')
  t.notOk(existsSync(join(dir, MARKER_FILE)), 'logOut removes the marker')
  await t.rejects(s.client.invoke({ '@type': 'getMe' }), /closed/, 'a closed client rejects requests')
  await s.close()
  const again = await start(sandbox, dir)
  await again.next(authUpdate('authorizationStateWaitPhoneNumber'))
  t.equal(sandbox.world.sessionUser(dir), 0)
  await again.close()
})

t.test('close is idempotent and keeps the login; destroy wipes it', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const dir = root.dir('close-twice')
  const s = await loginUser(sandbox, dir, '15550000104')
  const mark = s.updates.length
  await Promise.all([s.close(), s.close()])
  await s.close()
  t.same(s.typesSince(mark), ['auth:Closing', 'auth:Closed'], 'one Closing, one Closed')
  t.equal(sandbox.world.sessionUser(dir), 104)

  const again = await start(sandbox, dir)
  await again.next(authUpdate('authorizationStateReady'))
  await again.ok({ '@type': 'destroy' })
  await again.next(authUpdate('authorizationStateClosed'))
  t.equal(sandbox.world.sessionUser(dir), 0)
  t.notOk(existsSync(join(dir, MARKER_FILE)))
})

t.test('one folder, one client: a second client on the same folder is refused', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const dir = root.dir('locked')
  const first = await start(sandbox, dir)
  const second = new Session(sandbox, dir)
  await second.next(authUpdate('authorizationStateWaitTdlibParameters'))
  const answer = await second.invoke({ '@type': 'setTdlibParameters', database_directory: dir })
  t.match(answer, { '@type': 'error', code: 400, message: /Can't lock file .*td\.binlog/ })
  await first.close()
  await second.close()
})

t.test('a logged-in folder is restored: same backend, and a new backend with the same seed', async t => {
  const dir = root.dir('restore')
  const sandbox = createSandboxBackend({ world: SEED })
  const s = await loginUser(sandbox, dir, '15550000101')
  await s.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  await s.close()
  const marker = JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as { user_id: number }
  t.equal(marker.user_id, 101, 'the marker names the user')

  const same = await start(sandbox, dir)
  await same.next(authUpdate('authorizationStateReady'))
  await same.close()

  const restarted = createSandboxBackend({ world: SEED })
  const r = await start(restarted, dir)
  await r.next(connectionUpdate('connectionStateReady'))
  t.same(r.typesSince(0).filter(x => x.startsWith('auth:') || x.startsWith('conn:')),
    ['auth:WaitTdlibParameters', 'conn:Connecting', 'auth:Ready', 'conn:Updating', 'conn:Ready'])
  t.match(await r.ok({ '@type': 'getMe' }), { id: 101 })
  t.match(await r.ok({ '@type': 'getUser', user_id: 104 }), { id: 104 }, 'what the session knew is remembered')
  await r.close()

  const otherWorld = createSandboxBackend({ world: { users: [{ id: 101, phone: '15550009999', first_name: 'Impostor' }] } })
  const o = await start(otherWorld, dir)
  await o.next(authUpdate('authorizationStateWaitPhoneNumber'))
  t.pass('a marker from another world is ignored')
  await o.close()
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})

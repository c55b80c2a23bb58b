/**
 * End to end through real sockets on the sandbox (the emulated Telegram):
 * logins, messages, a bot's inline keyboard, a call, catch-up with `offline`,
 * and Telegram's own errors reaching the client intact.
 */
import t from 'tap'
import { join } from 'node:path'
import { startBroker, type TestBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'

const ALLOWED_REQUESTS = [
  'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'checkAuthenticationBotToken',
  'getMe', 'getUser', 'searchPublicChat', 'createPrivateChat', 'sendMessage', 'getCallbackQueryAnswer', 'answerCallbackQuery',
  'createCall', 'acceptCall', 'discardCall', 'sendCallSignalingData', 'testSquareInt'
]
const ALLOWED_UPDATES = ['updateNewMessage', 'updateMessageSendSucceeded', 'updateNewCallbackQuery', 'updateCall', 'updateNewCallSignalingData']

async function sandboxBroker (raw: Record<string, unknown> = {}): Promise<TestBroker & { sandbox: SandboxBackend }> {
  const b = await startBroker({ allowed_requests: ALLOWED_REQUESTS, allowed_updates: ALLOWED_UPDATES, ...raw, tdlib: { backend: 'sandbox' } })
  return { ...b, sandbox: b.backend as SandboxBackend }
}

const authState = (session: string, state: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === state

/** Logs a session in as a seeded user, the way a client would over the socket. */
async function login (c: TestClient, session: string, sandbox: SandboxBackend, phone: string, password?: string): Promise<void> {
  await c.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'))
  t.equal((await c.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: phone, '@session': session }))['@type'], 'ok')
  await c.waitFor(authState(session, 'authorizationStateWaitCode'))
  t.equal((await c.request({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode(phone), '@session': session }))['@type'], 'ok')
  if (password !== undefined) {
    await c.waitFor(authState(session, 'authorizationStateWaitPassword'))
    t.equal((await c.request({ '@type': 'checkAuthenticationPassword', password, '@session': session }))['@type'], 'ok')
  }
  await c.waitFor(authState(session, 'authorizationStateReady'))
}

async function loggedIn (b: TestBroker & { sandbox: SandboxBackend }, phone: string, password?: string): Promise<{ c: TestClient, session: string }> {
  const c = await TestClient.connect(b.port)
  const session = await c.createSession()
  await login(c, session, b.sandbox, phone, password)
  return { c, session }
}

const newMessageWith = (session: string, text: string) => (m: Msg): boolean =>
  m['@type'] === 'updateNewMessage' && m['@session'] === session &&
  (((m.message as Msg).content as Msg).text as Msg | undefined)?.text === text

t.test('two users log in (one with 2FA) in two sessions and exchange messages', async t => {
  const b = await sandboxBroker()
  t.teardown(b.stop)
  const version = await (await TestClient.connect(b.port)).request({ '@type': 'broker.getVersion' })
  t.equal(version.backend, 'sandbox', 'clients can see they are on the sandbox')

  const alice = await loggedIn(b, '+1 555 000 1001')
  const bob = await loggedIn(b, '15550001002', 'sandbox')
  t.teardown(() => { alice.c.close(); bob.c.close() })

  const wrong = await alice.c.request({ '@type': 'checkAuthenticationCode', code: '00000', '@session': alice.session })
  t.equal(wrong['@type'], 'error', 'a login request in the wrong state is refused by "Telegram"')

  const me = await bob.c.request({ '@type': 'getMe', '@session': bob.session })
  t.equal(me.first_name, 'Bob')
  const found = await alice.c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice.session })
  const sent = await alice.c.request({
    '@type': 'sendMessage', chat_id: found.id, '@session': alice.session,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'hello bob', entities: [] } }
  })
  t.equal(sent['@type'], 'message', 'sendMessage answers with the pending message')
  const got = await bob.c.waitFor(newMessageWith(bob.session, 'hello bob'))
  const aliceId = (await alice.c.request({ '@type': 'getMe', '@session': alice.session })).id
  t.equal(aliceId, 1000001)
  t.equal(((got.message as Msg).sender_id as Msg).user_id, aliceId, 'Bob sees Alice as the sender')
  await alice.c.waitFor(m => m['@type'] === 'updateMessageSendSucceeded' && m['@session'] === alice.session)

  await bob.c.request({
    '@type': 'sendMessage', chat_id: ((got.message as Msg).chat_id), '@session': bob.session,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'hi alice', entities: [] } }
  })
  await alice.c.waitFor(newMessageWith(alice.session, 'hi alice'))
  t.pass('the reply arrives in the other session')
})

t.test('a bot session with an inline keyboard gets a user\'s callback query and answers it', async t => {
  const b = await sandboxBroker()
  t.teardown(b.stop)
  const bot = { c: await TestClient.connect(b.port), session: '' }
  bot.session = await bot.c.createSession()
  await bot.c.waitFor(authState(bot.session, 'authorizationStateWaitPhoneNumber'))
  const token = await bot.c.request({ '@type': 'checkAuthenticationBotToken', token: '7000001:sandbox-echo-bot-token', '@session': bot.session })
  t.equal(token['@type'], 'ok')
  await bot.c.waitFor(authState(bot.session, 'authorizationStateReady'))
  const alice = await loggedIn(b, '15550001001')
  t.teardown(() => { bot.c.close(); alice.c.close() })

  const botChat = await alice.c.request({ '@type': 'searchPublicChat', username: 'echo_sandbox_bot', '@session': alice.session })
  await alice.c.request({
    '@type': 'sendMessage', chat_id: botChat.id, '@session': alice.session,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: '/start', entities: [] } }
  })
  const incoming = await bot.c.waitFor(newMessageWith(bot.session, '/start'))
  const userChat = (incoming.message as Msg).chat_id
  await bot.c.request({
    '@type': 'sendMessage', chat_id: userChat, '@session': bot.session,
    reply_markup: { '@type': 'replyMarkupInlineKeyboard', rows: [[{ '@type': 'inlineKeyboardButton', text: 'Press', type: { '@type': 'inlineKeyboardButtonTypeCallback', data: Buffer.from('pressed').toString('base64') } }]] },
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'choose', entities: [] } }
  })
  const keyboard = await alice.c.waitFor(newMessageWith(alice.session, 'choose'))
  const messageId = (keyboard.message as Msg).id

  alice.c.send({ '@type': 'getCallbackQueryAnswer', chat_id: botChat.id, message_id: messageId, payload: { '@type': 'callbackQueryPayloadData', data: Buffer.from('pressed').toString('base64') }, '@session': alice.session, '@extra': 'cb' })
  const query = await bot.c.waitFor(m => m['@type'] === 'updateNewCallbackQuery' && m['@session'] === bot.session)
  t.equal(Buffer.from(((query.payload as Msg).data as string), 'base64').toString(), 'pressed', 'the bot sees the button data')
  t.equal((await bot.c.request({ '@type': 'answerCallbackQuery', callback_query_id: query.id, text: 'done!', show_alert: false, url: '', cache_time: 0, '@session': bot.session }))['@type'], 'ok')
  const answer = await alice.c.waitFor(m => m['@extra'] === 'cb')
  t.match(answer, { '@type': 'callbackQueryAnswer', text: 'done!', '@session': alice.session }, 'the user gets the bot\'s answer')
})

t.test('a call is set up, signalled and discarded, with updateCall on both sides', async t => {
  const b = await sandboxBroker()
  t.teardown(b.stop)
  const alice = await loggedIn(b, '15550001001')
  const dave = await loggedIn(b, '15550001004')
  t.teardown(() => { alice.c.close(); dave.c.close() })
  const daveId = (await dave.c.request({ '@type': 'getMe', '@session': dave.session })).id
  await alice.c.request({ '@type': 'searchPublicChat', username: 'dave_d', '@session': alice.session })
  const protocol = { '@type': 'callProtocol', udp_p2p: true, udp_reflector: true, min_layer: 65, max_layer: 92, library_versions: ['4.0.0'] }
  const created = await alice.c.request({ '@type': 'createCall', user_id: daveId, protocol, is_video: false, '@session': alice.session })
  t.equal(created['@type'], 'callId')
  const ringing = await dave.c.waitFor(m => m['@type'] === 'updateCall' && m['@session'] === dave.session && ((m.call as Msg).state as Msg)['@type'] === 'callStatePending')
  const daveCallId = (ringing.call as Msg).id
  t.equal((await dave.c.request({ '@type': 'acceptCall', call_id: daveCallId, protocol, '@session': dave.session }))['@type'], 'ok')
  await alice.c.waitFor(m => m['@type'] === 'updateCall' && m['@session'] === alice.session && ((m.call as Msg).state as Msg)['@type'] === 'callStateReady')
  await dave.c.request({ '@type': 'sendCallSignalingData', call_id: daveCallId, data: Buffer.from('sdp').toString('base64'), '@session': dave.session })
  const signal = await alice.c.waitFor(m => m['@type'] === 'updateNewCallSignalingData' && m['@session'] === alice.session)
  t.equal(Buffer.from(signal.data as string, 'base64').toString(), 'sdp', 'signalling data crosses between the parties')
  await alice.c.request({ '@type': 'discardCall', call_id: created.id, is_disconnected: false, invite_link: '', duration: 3, is_video: false, connection_id: '0', '@session': alice.session })
  await dave.c.waitFor(m => m['@type'] === 'updateCall' && m['@session'] === dave.session && ((m.call as Msg).state as Msg)['@type'] === 'callStateDiscarded')
  t.pass('both sides see the call end')
})

t.test('FLOOD_WAIT from "Telegram" reaches the client intact', async t => {
  const b = await sandboxBroker()
  t.teardown(b.stop)
  const alice = await loggedIn(b, '15550001001')
  t.teardown(() => { alice.c.close() })
  b.sandbox.faults.floodWait({ userId: 1000001 }, 17, 1, ['searchPublicChat'])
  const r = await alice.c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice.session })
  t.same(r, { '@type': 'error', code: 429, message: 'Too Many Requests: retry after 17', retry_after: 17, '@extra': r['@extra'], '@session': alice.session }, 'with retry_after as a field')
  t.equal((await alice.c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice.session }))['@type'], 'chat', 'and the next one goes through')
})

for (const offline of [true, false]) {
  t.test(`catch-up with offline ${String(offline)}`, async t => {
    const b = await sandboxBroker({ offline })
    t.teardown(b.stop)
    const alice = await loggedIn(b, '15550001001')
    const bob = await loggedIn(b, '15550001002', 'sandbox')
    t.teardown(() => { alice.c.close(); bob.c.close() })
    const bobChat = (await alice.c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice.session })).id

    // Bob's session stops (terminate_delay 0) while Alice writes to him.
    bob.c.close()
    const list = async (): Promise<unknown> => ((await alice.c.request({ '@type': 'broker.listSessions' })).sessions as Msg[]).find(s => s.session === bob.session)?.state
    while (await list() !== 'stopped') await new Promise(resolve => setTimeout(resolve, 20))
    await alice.c.request({
      '@type': 'sendMessage', chat_id: bobChat, '@session': alice.session,
      input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'while you were away', entities: [] } }
    })
    t.ok(b.sandbox.world.queuedUpdates(join(b.settings.tdlib.path, bob.session)) > 0, '"Telegram" kept the update for the stopped session')

    // Two clients attach back to back: the first starts the session.
    const first = await TestClient.connect(b.port)
    const second = await TestClient.connect(b.port)
    t.teardown(() => { first.close(); second.close() })
    first.send({ '@type': 'broker.attachSession', session: bob.session, '@extra': 'first' })
    second.send({ '@type': 'broker.attachSession', session: bob.session, '@extra': 'second' })
    await first.waitFor(m => m['@extra'] === 'first')
    await second.waitFor(m => m['@extra'] === 'second')
    const ready = (m: Msg): boolean => m['@type'] === 'updateConnectionState' && (m.state as Msg)['@type'] === 'connectionStateReady'
    await first.waitFor(ready)
    await second.waitFor(ready)
    t.ok(first.received.some(m => m['@type'] === 'updateConnectionState' && (m.state as Msg)['@type'] === 'connectionStateUpdating'), 'the session reported connectionStateUpdating while catching up')
    const caught = first.received.some(newMessageWith(bob.session, 'while you were away'))
    t.equal(caught, offline, offline ? 'the client that started the session gets the catch-up update' : 'nobody gets catch-up updates')
    t.notOk(second.received.some(newMessageWith(bob.session, 'while you were away')), 'a later attacher never gets catch-up updates')

    // Live updates after the catch-up reach both.
    await alice.c.request({
      '@type': 'sendMessage', chat_id: bobChat, '@session': alice.session,
      input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'live now', entities: [] } }
    })
    await first.waitFor(newMessageWith(bob.session, 'live now'))
    await second.waitFor(newMessageWith(bob.session, 'live now'))
    t.pass('live updates go to every attached client')
  })
}

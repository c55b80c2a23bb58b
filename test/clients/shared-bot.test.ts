/**
 * The scenario on the sandbox, through real sockets: one bot session
 * shared by a backend client (may send, hears everything), two operators
 * (hear everything, read-only requests) and a help-desk client limited to
 * one user's chat. Users write to the bot; one of them through a session of
 * her own on the same broker, one straight into the emulated world.
 */
import t from 'tap'
import { createSandboxBackend } from '../../src/tdlib/sandbox/index.js'
import type { Msg } from '../helpers/client.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const ALICE = 1000001
const BOB = 1000002
const BOT = 7000001
const BOT_TOKEN = '7000001:sandbox-echo-bot-token'
const READ_ONLY = ['getMe', 'getChat', 'getChats', 'getUser', 'getChatHistory', 'getMessage']

const text = (s: string): Msg => ({ '@type': 'inputMessageText', text: { '@type': 'formattedText', text: s, entities: [] } })
const isText = (session: string, chatId: number, s: string) => (m: Msg): boolean =>
  m['@type'] === 'updateNewMessage' && m['@session'] === session && (m.message as Msg).chat_id === chatId &&
  ((m.message as Msg).content as Msg)?.['@type'] === 'messageText' && (((m.message as Msg).content as Msg).text as Msg).text === s
const authReady = (session: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === 'authorizationStateReady'

t.test('one bot, a backend, two operators and a help desk', async t => {
  const keys = { backend: await testKey(), op1: await testKey(), op2: await testKey(), desk: await testKey(), alice: await testKey() }
  const sandbox = createSandboxBackend()
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    terminate_delay: 3600,
    allowed_requests: ['checkAuthenticationBotToken', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'searchPublicChat', 'sendMessage', ...READ_ONLY],
    allowed_updates: ['updateNewMessage', 'updateMessageSendSucceeded', 'updateNewChat', 'updateUser', 'updateChatLastMessage'],
    clients: [
      keyClient('backend', keys.backend, { sessions: 'own' }),
      keyClient('op1', keys.op1, { allowed_requests: READ_ONLY, sessions: 'all', may_create_sessions: false }),
      keyClient('op2', keys.op2, { allowed_requests: READ_ONLY, sessions: 'all', may_create_sessions: false }),
      keyClient('desk', keys.desk, { allowed_requests: ['sendMessage', ...READ_ONLY], sessions: 'all', may_create_sessions: false, chats: [ALICE] }),
      keyClient('alice-app', keys.alice, { sessions: 'own' })
    ]
  }, { backend: sandbox })
  t.teardown(b.stop)
  const [backend, op1, op2, desk, aliceApp] = await Promise.all([
    connectAs(b.port, 'backend', keys.backend), connectAs(b.port, 'op1', keys.op1), connectAs(b.port, 'op2', keys.op2),
    connectAs(b.port, 'desk', keys.desk), connectAs(b.port, 'alice-app', keys.alice)
  ])
  t.teardown(() => { for (const c of [backend, op1, op2, desk, aliceApp]) c.close() })

  // The backend owns the bot session and logs the bot in.
  const bot = await backend.createSession()
  await backend.request({ '@type': 'checkAuthenticationBotToken', token: BOT_TOKEN, '@session': bot })
  await backend.waitFor(authReady(bot))
  for (const c of [op1, op2, desk]) t.equal((await c.request({ '@type': 'broker.attachSession', session: bot }))['@type'], 'broker.attached')

  // Alice, on a session of her own, writes to the bot.
  const alice = await aliceApp.createSession()
  await aliceApp.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550001001', '@session': alice })
  await aliceApp.request({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode(ALICE), '@session': alice })
  await aliceApp.waitFor(authReady(alice))
  t.equal((await op1.request({ '@type': 'broker.attachSession', session: alice })).code, undefined, 'operators see every session (sessions: "all")')
  await op1.request({ '@type': 'broker.detachSession', session: alice })
  t.equal(errorName(await backend.request({ '@type': 'broker.attachSession', session: alice })), 'SESSION_NOT_ALLOWED', "the backend does not see Alice's session")
  const botChat = await aliceApp.request({ '@type': 'searchPublicChat', username: 'echo_sandbox_bot', '@session': alice })
  t.equal(botChat.id, BOT)
  const sent = await aliceApp.request({ '@type': 'sendMessage', chat_id: BOT, input_message_content: text('hello bot'), '@session': alice })
  t.equal(sent['@type'], 'message')

  // Bob writes straight into the emulated world.
  sandbox.world.injectMessages(BOB, BOT, ['bob here'])

  const fromAlice = await Promise.all([backend, op1, op2].map(async c => await c.waitFor(isText(bot, ALICE, 'hello bot'))))
  const fromBob = await Promise.all([backend, op1, op2].map(async c => await c.waitFor(isText(bot, BOB, 'bob here'))))
  for (const seen of [fromAlice, fromBob]) {
    t.equal(new Set(seen.map(m => (m.message as Msg).id)).size, 1, 'backend, op1 and op2 got the same message')
    t.equal(new Set(seen.map(m => m['@seq'])).size, 1, 'with the same @seq')
  }
  await desk.waitFor(isText(bot, ALICE, 'hello bot'))
  await desk.request({ '@type': 'broker.ping' })
  t.notOk(desk.received.some(isText(bot, BOB, 'bob here')), "the desk, limited to Alice's chat, did not hear Bob")
  t.ok(desk.updates(bot).every(m => {
    const chat = (m.message as Msg | undefined)?.chat_id ?? m.chat_id ?? (m.user as Msg | undefined)?.id ?? (m.chat as Msg | undefined)?.id
    return chat === undefined ? ['updateAuthorizationState', 'updateConnectionState'].includes(String(m['@type'])) : chat === ALICE
  }), 'every update the desk got is about Alice (or the session state)')

  // Operators read, and may not write.
  const refused = await op1.request({ '@type': 'sendMessage', chat_id: ALICE, input_message_content: text('from an operator'), '@session': bot })
  t.equal(errorName(refused), 'REQUEST_NOT_ALLOWED', "an operator's sendMessage is refused")
  t.equal(refused.code, 403)
  const chat = await op2.request({ '@type': 'getChat', chat_id: ALICE, '@session': bot })
  t.equal(chat.id, ALICE, 'a read-only request works for an operator')

  // The backend answers Alice; the desk may too, but only Alice.
  const reply = await backend.request({ '@type': 'sendMessage', chat_id: ALICE, input_message_content: text('hi Alice, backend here'), '@session': bot })
  t.equal(reply['@type'], 'message')
  await aliceApp.waitFor(isText(alice, BOT, 'hi Alice, backend here'))
  const deskReply = await desk.request({ '@type': 'sendMessage', chat_id: ALICE, input_message_content: text('help desk here'), '@session': bot })
  t.equal(deskReply['@type'], 'message', 'the desk may act on its chat')
  await aliceApp.waitFor(isText(alice, BOT, 'help desk here'))
  const deskToBob = await desk.request({ '@type': 'sendMessage', chat_id: BOB, input_message_content: text('not yours'), '@session': bot })
  t.equal(errorName(deskToBob), 'CHAT_NOT_ALLOWED', 'and on nothing else')
  t.equal(errorName(await desk.request({ '@type': 'getUser', user_id: BOB, '@session': bot })), 'CHAT_NOT_ALLOWED')
  t.same((await desk.request({ '@type': 'getChats', limit: 10, '@session': bot })).chat_ids, [ALICE], "its chat list holds only Alice's chat")

  // What the operators heard of the replies: both, like the backend.
  for (const c of [op1, op2]) {
    await c.waitFor(m => m['@type'] === 'updateMessageSendSucceeded' && (((m.message as Msg).content as Msg).text as Msg).text === 'help desk here')
  }
  t.ok(b.logs.find(r => r.audit === 'request.refused' && r.client === 'op1' && r.type === 'sendMessage'), "the operator's attempt is in the audit trail")
})

t.test('an operator that loses its connection resumes on the sandbox without losing a message', async t => {
  const keys = { backend: await testKey(), op: await testKey() }
  const sandbox = createSandboxBackend()
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    terminate_delay: 3600,
    allowed_requests: ['checkAuthenticationBotToken', ...READ_ONLY],
    allowed_updates: ['updateNewMessage'],
    clients: [keyClient('backend', keys.backend), keyClient('op', keys.op, { allowed_requests: READ_ONLY, may_create_sessions: false })]
  }, { backend: sandbox })
  t.teardown(b.stop)
  const backend = await connectAs(b.port, 'backend', keys.backend)
  t.teardown(() => { backend.close() })
  const bot = await backend.createSession()
  await backend.request({ '@type': 'checkAuthenticationBotToken', token: BOT_TOKEN, '@session': bot })
  await backend.waitFor(authReady(bot))

  const op = await connectAs(b.port, 'op', keys.op)
  await op.request({ '@type': 'broker.attachSession', session: bot })
  sandbox.world.injectMessages(BOB, BOT, ['one', 'two'])
  await op.waitFor(isText(bot, BOB, 'two'))
  const lastSeq = Math.max(...op.updates(bot).map(m => m['@seq'] as number))
  op.socket.destroy()
  await op.closedPromise

  const missed = Array.from({ length: 50 }, (_, i) => `missed ${i}`)
  sandbox.world.injectMessages(BOB, BOT, missed)
  const back = await connectAs(b.port, 'op', keys.op)
  t.teardown(() => { back.close() })
  const answer = await back.request({ '@type': 'broker.attachSession', session: bot, last_seq: lastSeq })
  t.match(answer.resume, { complete: true, replayed: 50 })
  sandbox.world.injectMessages(BOB, BOT, ['live'])
  await back.waitFor(isText(bot, BOB, 'live'))
  const texts = back.updates(bot, 'updateNewMessage').map(m => (((m.message as Msg).content as Msg).text as Msg).text)
  t.same(texts, [...missed, 'live'], 'the missed messages in order, then the live one, nothing twice')
})

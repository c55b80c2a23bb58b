/**
 * request_peers on the sandbox, with the siptg fixture's settings as they
 * are: usernames and phone numbers become ids in the request's own session;
 * unresolvable values never reach TDLib; ids pass untouched.
 */
import t from 'tap'
import { classifyPeer } from '../../src/resolve/peer-value.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { ALICE, BOB, DAVE, INLINE_BOT, LOUNGE, loginBot, loginUser, siptgOnSandbox, startSandboxBroker } from './helpers.js'
import { scratchDir } from '../store/helpers/broker.js'

t.test('what counts as an id, a username and a phone number', async t => {
  const kinds = (values: unknown[]): string[] => values.map(v => classifyPeer(v).kind)
  t.same(kinds([1000002, -1000000001001, '1000002', '-1000000001001', '79991234567', null, { '@type': 'x' }]), ['id', 'id', 'id', 'id', 'id', 'id', 'id'],
    'numbers, digit strings (even long ones) and non-strings pass untouched')
  t.same(classifyPeer('@Bob_Baker'), { kind: 'username', username: 'bob_baker' })
  t.same(classifyPeer('bob_baker'), { kind: 'username', username: 'bob_baker' })
  t.same(classifyPeer(' +7 (999) 123-45-67 '), { kind: 'phone', phone: '79991234567' })
  t.same(classifyPeer('+79991234567'), { kind: 'phone', phone: '79991234567' })
  t.same(classifyPeer('8 999 123.45.67'), { kind: 'phone', phone: '89991234567' })
  t.same(kinds(['', 'hello world', '@ab', '+12', '@a-b-c-d', '1_000', '+1 555 000 1001 ext 5']), ['invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid'])
})

t.test("the siptg fixture's request_peers work as written", async t => {
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox())
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  const bot = await loginBot(client, INLINE_BOT.token)

  // getUser: user_id by username, and by phone number in any writing.
  const bob = await client.request({ '@type': 'getUser', user_id: '@bob_baker', '@session': alice })
  t.match(bob, { '@type': 'user', id: BOB.id, usernames: { active_usernames: [BOB.username] } })
  const byPhone = await client.request({ '@type': 'getUser', user_id: '+1 (555) 000-10-04', '@session': alice })
  t.match(byPhone, { '@type': 'user', id: DAVE.id })

  // sendMessage: chat_id by username, with its text formatted as format_fields says.
  const sent = await client.request({ '@type': 'sendMessage', chat_id: '@dave_d', input_message_content: { '@type': 'inputMessageText', text: 'hi *Dave*' }, '@session': alice })
  t.match(sent, { '@type': 'message', chat_id: DAVE.id, content: { '@type': 'messageText', text: { text: 'hi Dave', entities: [{ offset: 3, length: 4, type: { '@type': 'textEntityTypeBold' } }] } } })

  // createCall: user_id by phone number.
  const call = await client.request({
    '@type': 'createCall', user_id: BOB.phone, is_video: false, '@session': alice,
    protocol: { '@type': 'callProtocol', udp_p2p: true, udp_reflector: true, min_layer: 65, max_layer: 92, library_versions: ['9.0.0'] },
  })
  t.match(call, { '@type': 'callId' })
  t.ok(b.seen.some(r => r['@type'] === 'createCall' && r.user_id === BOB.id), 'TDLib got the user id')

  // getInlineQueryResults: bot_user_id and chat_id both resolved; the bot (another session) answers.
  const query = new Promise<Msg>(resolve => { void client.waitFor(m => m['@type'] === 'updateNewInlineQuery' && m['@session'] === bot).then(resolve) })
  client.send({ '@type': 'getInlineQueryResults', bot_user_id: '@inline_sandbox_bot', chat_id: 'dave_d', query: 'kittens', offset: '', '@session': alice, '@extra': 'inline' })
  const incoming = await query
  t.match(incoming, { sender_user_id: ALICE.id, query: 'kittens' })
  const answered = await client.request({
    '@type': 'answerInlineQuery', inline_query_id: incoming.id, is_personal: false, cache_time: 0, next_offset: '', '@session': bot,
    results: [{ '@type': 'inputInlineQueryResultArticle', id: 'a1', url: '', title: 'Kittens', description: '', thumbnail_url: '', thumbnail_width: 0, thumbnail_height: 0, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'kittens!', entities: [] } } }],
  })
  t.equal(answered['@type'], 'ok')
  const results = await client.waitFor(m => m['@extra'] === 'inline')
  t.match(results, { '@type': 'inlineQueryResults', results: [{ id: 'a1' }] })
  t.ok(b.seen.some(r => r['@type'] === 'getInlineQueryResults' && r.bot_user_id === INLINE_BOT.id && r.chat_id === DAVE.id), 'both fields were resolved')

  // sendInlineQueryResultMessage: chat_id by phone number.
  const viaBot = await client.request({ '@type': 'sendInlineQueryResultMessage', chat_id: DAVE.phone, query_id: results.inline_query_id, result_id: 'a1', hide_via_bot: false, '@session': alice })
  t.match(viaBot, { '@type': 'message', chat_id: DAVE.id, via_bot_user_id: INLINE_BOT.id })
})

t.test('unresolvable values are refused naming the field and the value; nothing reaches TDLib', async t => {
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox())
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  const before = b.seen.length

  const unknown = await client.request({ '@type': 'sendMessage', chat_id: '@nobody_here', input_message_content: { '@type': 'inputMessageText', text: 'x' }, '@session': alice, '@extra': 1 })
  t.same(unknown, { '@type': 'error', code: 400, message: 'PEER_NOT_FOUND: sendMessage.chat_id "@nobody_here": searchPublicChat: 400 USERNAME_NOT_OCCUPIED', '@extra': 1, '@session': alice })
  const group = await client.request({ '@type': 'getUser', user_id: '@sandbox_lounge', '@session': alice })
  t.equal(group.message, 'PEER_NOT_FOUND: getUser.user_id "@sandbox_lounge": @sandbox_lounge is a group or channel, not a user')
  const nobody = await client.request({ '@type': 'getUser', user_id: '+1 555 999 0000', '@session': alice })
  t.equal(nobody.message, 'PEER_NOT_FOUND: getUser.user_id "+1 555 999 0000": no Telegram user has the phone number +15559990000 (or they cannot be found by it)')
  const garbage = await client.request({ '@type': 'createCall', user_id: 'call bob please', '@session': alice })
  t.match(garbage, { code: 400, message: 'PEER_INVALID: createCall.user_id "call bob please" is not an id, a username (@name) or a phone number (+79991234567)' })
  const second = await client.request({ '@type': 'getInlineQueryResults', bot_user_id: '@inline_sandbox_bot', chat_id: '@no_such_chat_x', query: '', offset: '', '@session': alice })
  t.match(second.message, /^PEER_NOT_FOUND: getInlineQueryResults\.chat_id "@no_such_chat_x"/, 'the second field is named when it is the one that fails')
  t.equal(b.seen.length, before, 'none of these requests reached TDLib')

  // The group resolves fine where a chat id is wanted.
  const toLounge = await client.request({ '@type': 'sendMessage', chat_id: '@sandbox_lounge', input_message_content: { '@type': 'inputMessageText', text: 'hello' }, '@session': alice })
  t.match(toLounge, { '@type': 'message', chat_id: LOUNGE.chat_id })
})

t.test('ids pass untouched, as numbers or as strings; unlisted requests and fields are not looked at', async t => {
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox({ allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'getUser', 'sendMessage', 'getChat'] }))
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  await client.request({ '@type': 'getUser', user_id: 1000002, '@session': alice })
  await client.request({ '@type': 'getUser', user_id: '1000002', '@session': alice })
  await client.request({ '@type': 'getChat', chat_id: '@bob_baker', '@session': alice })
  const lookups = b.backend.calls.filter(c => c.session === alice && c.type === 'searchPublicChat')
  t.same(lookups, [], 'no lookup for ids, nor for getChat, which request_peers does not list')
  t.same(b.seen.filter(r => r['@type'] === 'getUser').map(r => r.user_id), [1000002, '1000002'])
  t.same(b.seen.find(r => r['@type'] === 'getChat')?.chat_id, '@bob_baker', 'an unlisted request goes to TDLib as it is')
})

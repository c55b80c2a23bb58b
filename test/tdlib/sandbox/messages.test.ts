import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, loginUser, problems, tempRoot, text, textOf } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

const STEP = 1048576

t.test('two users exchange messages with the updates TDLib sends on both sides', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('msg-alice'), '15550000101')
  const bob = await loginUser(sandbox, root.dir('msg-bob'), '15550000102', 'secret')
  alice.skip()
  bob.skip()

  t.same(await alice.invoke({ '@type': 'getChat', chat_id: 102 }), { '@type': 'error', code: 400, message: 'Chat not found' },
    'a chat never seen is unknown')
  const chat = await alice.ok({ '@type': 'searchPublicChat', username: '@bobby' })
  t.match(chat, { '@type': 'chat', id: 102, type: { '@type': 'chatTypePrivate', user_id: 102 }, title: 'Bob' })
  t.match(await alice.next('updateUser'), { user: { id: 102, is_contact: true, phone_number: '15550000102' } })
  t.match(await alice.next('updateNewChat'), { chat: { id: 102 } })

  const mark = alice.updates.length
  const sent = await alice.ok({
    '@type': 'sendMessage',
    chat_id: 102,
    input_message_content: {
      '@type': 'inputMessageText',
      text: { '@type': 'formattedText', text: 'hello Bob', entities: [{ '@type': 'textEntity', offset: 0, length: 5, type: { '@type': 'textEntityTypeBold' } }] },
    },
    options: { '@type': 'messageSendOptions', sending_id: 7 },
  })
  const answeredAt = alice.updates.length
  const tempId = sent.id as number
  t.not(tempId % STEP, 0, 'the temporary id is not a server id')
  t.match(sent, { chat_id: 102, is_outgoing: true, sending_state: { '@type': 'messageSendingStatePending', sending_id: 7 } })
  const pending = await alice.next('updateNewMessage')
  t.equal((pending.message as TdObject).id, tempId, 'updateNewMessage carries the pending message')
  t.ok(alice.updates.indexOf(pending) < answeredAt, 'and comes before the answer')
  const succeeded = await alice.next('updateMessageSendSucceeded')
  t.ok(alice.updates.indexOf(succeeded) >= answeredAt, 'updateMessageSendSucceeded follows the answer')
  const final = succeeded.message as TdObject
  t.equal(succeeded.old_message_id, tempId)
  t.equal((final.id as number) % STEP, 0, 'server message ids are multiples of 2^20')
  t.equal(final.sending_state, undefined, 'a sent message has no sending state')
  t.match(await alice.next('updateChatLastMessage'), { chat_id: 102, last_message: { id: final.id }, positions: [{ list: { '@type': 'chatListMain' } }] })
  t.same(alice.typesSince(mark), ['updateNewMessage', 'updateChatLastMessage', 'updateMessageSendSucceeded', 'updateChatLastMessage'])

  const intro = await bob.next('updateUser')
  t.match(intro, { user: { id: 101, first_name: 'Alice', is_contact: false, phone_number: '' } }, 'Bob learns who Alice is first')
  t.match(await bob.next('updateNewChat'), { chat: { id: 101, title: 'Alice' } })
  const received = (await bob.next('updateNewMessage')).message as TdObject
  t.match(received, {
    id: final.id,
    chat_id: 101,
    is_outgoing: false,
    sender_id: { '@type': 'messageSenderUser', user_id: 101 },
    content: { '@type': 'messageText', text: { text: 'hello Bob', entities: [{ offset: 0, length: 5, type: { '@type': 'textEntityTypeBold' } }] } },
  })
  t.match(await bob.next('updateChatLastMessage'), { chat_id: 101, last_message: { id: final.id } })

  const reply = await bob.ok({
    '@type': 'sendMessage',
    chat_id: 101,
    reply_to: { '@type': 'inputMessageReplyToMessage', message_id: final.id },
    input_message_content: text('hi Alice, see https://example.com'),
  })
  t.match(reply, { reply_to: { '@type': 'messageReplyToMessage', chat_id: 101, message_id: final.id } })
  const replyAtAlice = (await alice.next('updateNewMessage')).message as TdObject
  t.match(replyAtAlice, { chat_id: 102, is_outgoing: false, reply_to: { chat_id: 102, message_id: final.id } })
  t.match((replyAtAlice.content as TdObject).text, { entities: [{ type: { '@type': 'textEntityTypeUrl' } }] }, 'URLs become entities as in TDLib')
  await bob.next('updateMessageSendSucceeded')

  t.same(await bob.invoke({ '@type': 'editMessageText', chat_id: 101, message_id: final.id, input_message_content: text('forged') }),
    { '@type': 'error', code: 400, message: 'Message can\'t be edited' })
  const edited = await alice.ok({ '@type': 'editMessageText', chat_id: 102, message_id: final.id, input_message_content: text('hello again') })
  t.equal(textOf(edited), 'hello again')
  t.match(await bob.next('updateMessageContent'), { chat_id: 101, message_id: final.id, new_content: { text: { text: 'hello again' } } })
  t.match(await bob.next('updateMessageEdited'), { chat_id: 101, message_id: final.id })
  t.match(await alice.next('updateMessageEdited'), { chat_id: 102, message_id: final.id })

  const history = await alice.ok({ '@type': 'getChatHistory', chat_id: 102, from_message_id: 0, offset: 0, limit: 10 })
  t.same((history.messages as TdObject[]).map(textOf), ['hi Alice, see https://example.com', 'hello again'], 'newest first')

  await alice.close()
  await bob.close()
})

t.test('delete for everyone or only for me; forward with forward_info', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('del-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('del-dan'), '15550000104')
  await alice.ok({ '@type': 'searchUserByPhoneNumber', phone_number: '+15550000104' })
  const [one, two] = sandbox.world.injectMessages(101, 104, ['one', 'two'])
  await dan.next(u => u['@type'] === 'updateNewMessage' && (u.message as TdObject).id === two)
  dan.skip()
  alice.skip()

  await alice.ok({ '@type': 'deleteMessages', chat_id: 104, message_ids: [two], revoke: false })
  t.match(await alice.next('updateDeleteMessages'), { chat_id: 104, message_ids: [two], is_permanent: true })
  t.match(await alice.next('updateChatLastMessage'), { chat_id: 104, last_message: { id: one } })
  const got = await dan.ok({ '@type': 'getMessage', chat_id: 101, message_id: two })
  t.equal(textOf(got), 'two', 'deleting only for me leaves the other side alone')
  t.notOk(dan.updates.some(u => u['@type'] === 'updateDeleteMessages'))

  await alice.ok({ '@type': 'deleteMessages', chat_id: 104, message_ids: [one], revoke: true })
  t.match(await dan.next('updateDeleteMessages'), { chat_id: 101, message_ids: [one] })
  t.same(await dan.invoke({ '@type': 'getMessage', chat_id: 101, message_id: one }), { '@type': 'error', code: 404, message: 'Not Found' })

  const forwarded = await dan.ok({ '@type': 'forwardMessages', chat_id: 104, from_chat_id: 101, message_ids: [two, 12345 * STEP] })
  t.equal(forwarded.total_count, 1)
  t.equal((forwarded.messages as unknown[])[1], null, 'a missing message forwards as null')
  const saved = (await dan.next('updateMessageSendSucceeded')).message as TdObject
  t.match(saved, { chat_id: 104, forward_info: { origin: { '@type': 'messageOriginUser', sender_user_id: 101 } } }, 'forwarded to Saved Messages')
  await alice.close()
  await dan.close()
})

t.test('knowing users: getUser 400 until seen; phone search, importContacts, getContacts', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const dan = await loginUser(sandbox, root.dir('know-dan'), '15550000104')
  t.same(await dan.invoke({ '@type': 'getUser', user_id: 101 }), { '@type': 'error', code: 400, message: 'User not found' })
  t.same(await dan.invoke({ '@type': 'searchUserByPhoneNumber', phone_number: '15550000999' }), { '@type': 'error', code: 404, message: 'User not found' })
  t.same(await dan.invoke({ '@type': 'searchPublicChat', username: 'nobody_here' }), { '@type': 'error', code: 400, message: 'USERNAME_NOT_OCCUPIED' })
  t.same(await dan.invoke({ '@type': 'searchPublicChat', username: 'a!' }), { '@type': 'error', code: 400, message: 'USERNAME_INVALID' })
  await dan.ok({ '@type': 'searchUserByPhoneNumber', phone_number: '15550000101' })
  t.match(await dan.ok({ '@type': 'getUser', user_id: 101 }), { id: 101, usernames: { active_usernames: ['alice'] } })
  t.match(await dan.ok({ '@type': 'getChat', chat_id: 101 }), { id: 101 }, 'the private chat of a known user opens on demand')

  const imported = await dan.ok({
    '@type': 'importContacts',
    contacts: [
      { '@type': 'importedContact', phone_number: '+1 (555) 000-0102', first_name: 'B' },
      { '@type': 'importedContact', phone_number: '15550000888', first_name: 'Nobody' },
    ],
  })
  t.same(imported, { '@type': 'importedContacts', user_ids: [102, 0], importer_count: [0, 0] })
  t.match(await dan.next(u => u['@type'] === 'updateUser' && (u.user as TdObject).id === 102), { user: { is_contact: true, phone_number: '15550000102' } })
  t.same(await dan.ok({ '@type': 'getContacts' }), { '@type': 'users', total_count: 1, user_ids: [102] })

  const lounge = await dan.ok({ '@type': 'searchPublicChat', username: 'lounge' })
  t.match(lounge, { id: -1000000000060, type: { '@type': 'chatTypeSupergroup', supergroup_id: 60, is_channel: false } })
  t.match(await dan.next('updateSupergroup'), { supergroup: { id: 60, status: { '@type': 'chatMemberStatusLeft' } } })
  t.same(await dan.invoke({ '@type': 'sendMessage', chat_id: -1000000000060, input_message_content: text('let me in') }),
    { '@type': 'error', code: 400, message: 'Have no write access to the chat' })
  await dan.close()
})

t.test('getChats lists and introduces the chats of the account', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bob = await loginUser(sandbox, root.dir('chats-bob'), '15550000102', 'secret')
  const chats = await bob.ok({ '@type': 'getChats', chat_list: { '@type': 'chatListMain' }, limit: 10 })
  t.same(new Set(chats.chat_ids as number[]), new Set([-50, -1000000000060]))
  t.ok(bob.updates.some(u => u['@type'] === 'updateBasicGroup'), 'the basic group is introduced')
  t.match(await bob.ok({ '@type': 'getBasicGroup', basic_group_id: 50 }), { member_count: 2, status: { '@type': 'chatMemberStatusMember' } })
  t.same(await bob.invoke({ '@type': 'loadChats', limit: 10 }), { '@type': 'error', code: 404, message: 'Not Found' }, 'nothing left to load')
  await bob.close()
})

t.test('injectMessages produces many updates cheaply', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bob = await loginUser(sandbox, root.dir('inject-bob'), '15550000102', 'secret')
  bob.skip()
  const texts = Array.from({ length: 500 }, (_, i) => `m${i}`)
  const ids = sandbox.world.injectMessages(101, 102, texts)
  t.equal(ids.length, 500)
  const received = bob.updates.filter(u => u['@type'] === 'updateNewMessage').map(u => textOf(u.message as TdObject))
  t.same(received, texts, 'delivered synchronously, in order')
  t.throws(() => sandbox.world.injectMessages(104, -50, ['x']), /has no chat/)
  await bob.close()
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})

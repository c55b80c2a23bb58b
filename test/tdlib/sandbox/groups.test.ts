import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, loginUser, problems, tempRoot, text, textOf } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

function newMessageIn (chatId: number, type?: string): (u: TdObject) => boolean {
  return u => u['@type'] === 'updateNewMessage' && (u.message as TdObject).chat_id === chatId &&
    (type === undefined || ((u.message as TdObject).content as TdObject)['@type'] === type)
}

t.test('a basic group: created with members, who see it appear and can talk in it', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('bg-alice'), '15550000101')
  const bob = await loginUser(sandbox, root.dir('bg-bob'), '15550000102', 'secret')
  const dan = await loginUser(sandbox, root.dir('bg-dan'), '15550000104')
  t.same(await alice.invoke({ '@type': 'createNewBasicGroupChat', user_ids: [102], title: 'x' }),
    { '@type': 'error', code: 400, message: 'User not found' }, 'members must be known users')
  await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  t.same(await alice.invoke({ '@type': 'createNewBasicGroupChat', user_ids: [102], title: ' ' }),
    { '@type': 'error', code: 400, message: 'CHAT_TITLE_EMPTY' })
  const mark = alice.updates.length
  const created = await alice.ok({ '@type': 'createNewBasicGroupChat', user_ids: [102, 104], title: 'Weekend', message_auto_delete_time: 0 })
  const chatId = created.chat_id as number
  t.ok(chatId < 0 && chatId > -1e12, 'a basic group chat id is the negated group id')
  t.same(alice.typesSince(mark), ['updateBasicGroup', 'updateNewChat', 'updateNewMessage', 'updateChatLastMessage'],
    'the creator knows the chat before the answer')

  const bobChat = await bob.next('updateNewChat')
  t.match(bobChat, { chat: { id: chatId, title: 'Weekend', type: { '@type': 'chatTypeBasicGroup', basic_group_id: -chatId } } })
  t.match(bob.updates.find(u => u['@type'] === 'updateBasicGroup'), { basic_group: { member_count: 3, status: { '@type': 'chatMemberStatusMember' } } })
  const createMessage = (await bob.next(newMessageIn(chatId))).message as TdObject
  t.match(createMessage.content, { '@type': 'messageBasicGroupChatCreate', title: 'Weekend', member_user_ids: [101, 102, 104] })

  await bob.ok({ '@type': 'sendMessage', chat_id: chatId, input_message_content: text('hi all') })
  t.equal(textOf((await dan.next(newMessageIn(chatId, 'messageText'))).message as TdObject), 'hi all')
  t.equal(textOf((await alice.next(newMessageIn(chatId, 'messageText'))).message as TdObject), 'hi all')
  await Promise.all([alice.close(), bob.close(), dan.close()])
})

t.test('a supergroup: members added, an invite link used, members told about each change', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('sg-alice'), '15550000101')
  const bob = await loginUser(sandbox, root.dir('sg-bob'), '15550000102', 'secret')
  const dan = await loginUser(sandbox, root.dir('sg-dan'), '15550000104')
  await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' })
  const chat = await alice.ok({ '@type': 'createNewSupergroupChat', title: 'Club', is_channel: false, description: 'members only' })
  const chatId = chat.id as number
  t.ok(chatId < -1e12, 'supergroup chat ids are -100xxxxxxxxxx')
  t.match(chat, { type: { '@type': 'chatTypeSupergroup', is_channel: false }, last_message: { content: { '@type': 'messageSupergroupChatCreate' } } })

  const added = await alice.ok({ '@type': 'addChatMember', chat_id: chatId, user_id: 102, forward_limit: 0 })
  t.same(added, { '@type': 'failedToAddMembers', failed_to_add_members: [] })
  t.match(await bob.next('updateSupergroup'), { supergroup: { member_count: 2, status: { '@type': 'chatMemberStatusMember' } } })
  t.match(await bob.next('updateNewChat'), { chat: { id: chatId, title: 'Club' } })
  t.match((await bob.next(newMessageIn(chatId))).message, { content: { '@type': 'messageChatAddMembers', member_user_ids: [102] } })
  t.match(await alice.next(u => u['@type'] === 'updateSupergroup' && (u.supergroup as TdObject).member_count === 2), {},
    'the creator sees the member count change')
  t.same(await alice.invoke({ '@type': 'addChatMember', chat_id: chatId, user_id: 102 }),
    { '@type': 'error', code: 400, message: 'USER_ALREADY_PARTICIPANT' })

  t.same(await bob.invoke({ '@type': 'createChatInviteLink', chat_id: chatId, name: 'mine' }),
    { '@type': 'error', code: 400, message: 'CHAT_ADMIN_REQUIRED' })
  const invite = await alice.ok({ '@type': 'createChatInviteLink', chat_id: chatId, name: 'friends', expiration_date: 0, member_limit: 0 })
  t.match(invite, { '@type': 'chatInviteLink', invite_link: /^https:\/\/t\.me\/\+[A-Za-z0-9_-]+$/, creator_user_id: 101, name: 'friends' })
  t.same(await dan.invoke({ '@type': 'joinChatByInviteLink', invite_link: 'https://t.me/+nothing' }),
    { '@type': 'error', code: 400, message: 'INVITE_HASH_INVALID' })
  t.match(await dan.ok({ '@type': 'checkChatInviteLink', invite_link: invite.invite_link }), { title: 'Club', member_count: 2, chat_id: 0 })
  const joined = await dan.ok({ '@type': 'joinChatByInviteLink', invite_link: invite.invite_link })
  t.same(joined, { '@type': 'chatJoinResultSuccess', chat_id: chatId })
  t.match(await dan.next('updateNewChat'), { chat: { id: chatId } })
  const joinMessage = (await bob.next(newMessageIn(chatId, 'messageChatJoinByLink'))).message as TdObject
  t.match(joinMessage, { sender_id: { user_id: 104 } })
  t.ok(bob.updates.some(u => u['@type'] === 'updateUser' && (u.user as TdObject).id === 104), 'members learn who joined')
  t.same(await dan.invoke({ '@type': 'joinChatByInviteLink', invite_link: invite.invite_link }),
    { '@type': 'error', code: 400, message: 'USER_ALREADY_PARTICIPANT' })

  await dan.ok({ '@type': 'sendMessage', chat_id: chatId, input_message_content: text('thanks for the link') })
  t.equal(textOf((await alice.next(newMessageIn(chatId, 'messageText'))).message as TdObject), 'thanks for the link')
  await Promise.all([alice.close(), bob.close(), dan.close()])
})

t.test('channels post as the channel; plain members cannot post; public groups can be joined', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('ch-alice'), '15550000101')
  const bob = await loginUser(sandbox, root.dir('ch-bob'), '15550000102', 'secret')
  await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' })
  const channel = await alice.ok({ '@type': 'createNewSupergroupChat', title: 'News', is_channel: true })
  await alice.ok({ '@type': 'addChatMember', chat_id: channel.id, user_id: 102 })
  await bob.next('updateNewChat')
  await alice.ok({ '@type': 'sendMessage', chat_id: channel.id, input_message_content: text('headline') })
  const post = (await bob.next(newMessageIn(channel.id as number, 'messageText'))).message as TdObject
  t.match(post, { is_channel_post: true, sender_id: { '@type': 'messageSenderChat', chat_id: channel.id } })
  t.same(await bob.invoke({ '@type': 'sendMessage', chat_id: channel.id, input_message_content: text('reply?') }),
    { '@type': 'error', code: 400, message: 'Have no write access to the chat' })

  const dan = await loginUser(sandbox, root.dir('ch-dan'), '15550000104')
  const lounge = await dan.ok({ '@type': 'searchPublicChat', username: 'lounge' })
  t.same(await dan.ok({ '@type': 'joinChat', chat_id: lounge.id }), { '@type': 'chatJoinResultSuccess', chat_id: lounge.id })
  t.match(await dan.ok({ '@type': 'getSupergroup', supergroup_id: 60 }), { member_count: 3, status: { '@type': 'chatMemberStatusMember' } })
  await Promise.all([alice.close(), bob.close(), dan.close()])
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})

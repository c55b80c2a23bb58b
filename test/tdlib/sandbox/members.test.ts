/**
 * Members in the sandbox, as a bot administering a group sees them:
 * updateChatMember for its own membership and (as an administrator) for
 * others', getChatMember, getSupergroupMembers, the full infos, bans and
 * their lifting, leaving; sendChatAction seen by the others; command menus
 * per scope; the chosen inline result. Every update and answer is checked
 * against TDLib 1.8.65's API.
 */
import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, loginBot, loginUser, problems, tempRoot, text } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

const LOUNGE = -1000000000060
const user = (id: number): TdObject => ({ '@type': 'messageSenderUser', user_id: id })
const memberUpdate = (userId: number, status: string) => (u: TdObject): boolean => u['@type'] === 'updateChatMember' &&
  ((u.new_chat_member as any).member_id.user_id === userId) && (u.new_chat_member as any).status['@type'] === status

t.test('a bot in a supergroup: added, promoted, banning, unbanning, leaving', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('m-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('m-dan'), '15550000104')
  const bot = await loginBot(sandbox, root.dir('m-bot'), '900:keys-token')
  await alice.ok({ '@type': 'searchPublicChat', username: 'lounge' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'keys_bot' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  await dan.ok({ '@type': 'searchPublicChat', username: 'lounge' })

  await alice.ok({ '@type': 'addChatMember', chat_id: LOUNGE, user_id: 900, forward_limit: 0 })
  const added = await bot.next(memberUpdate(900, 'chatMemberStatusMember'))
  t.match(added, { chat_id: LOUNGE, actor_user_id: 101, old_chat_member: { status: { '@type': 'chatMemberStatusLeft' } } })
  t.ok(bot.updates.findIndex(u => u['@type'] === 'updateNewChat') < bot.updates.indexOf(added), 'the chat is known before the update')
  t.same(await bot.invoke({ '@type': 'banChatMember', chat_id: LOUNGE, member_id: user(102), banned_until_date: 0, revoke_messages: false }),
    { '@type': 'error', code: 400, message: 'CHAT_ADMIN_REQUIRED' })
  t.same(await bot.invoke({ '@type': 'setChatMemberStatus', chat_id: LOUNGE, member_id: user(102), status: { '@type': 'chatMemberStatusAdministrator' } }),
    { '@type': 'error', code: 400, message: 'CHAT_ADMIN_REQUIRED' }, 'only the creator promotes')
  await alice.ok({ '@type': 'setChatMemberStatus', chat_id: LOUNGE, member_id: user(900), status: { '@type': 'chatMemberStatusAdministrator', can_be_edited: true } })
  await bot.next(memberUpdate(900, 'chatMemberStatusAdministrator'))

  const creator = await bot.ok({ '@type': 'getChatMember', chat_id: LOUNGE, member_id: user(101) })
  t.match(creator, { '@type': 'chatMember', member_id: { user_id: 101 }, status: { '@type': 'chatMemberStatusCreator', is_member: true } })
  const admins = await bot.ok({ '@type': 'getSupergroupMembers', supergroup_id: 60, filter: { '@type': 'supergroupMembersFilterAdministrators' }, offset: 0, limit: 10 })
  t.same((admins.members as any[]).map(m => [m.member_id.user_id, m.status['@type']]), [[101, 'chatMemberStatusCreator'], [900, 'chatMemberStatusAdministrator']])
  const full = await bot.ok({ '@type': 'getSupergroupFullInfo', supergroup_id: 60 })
  t.same([full.member_count, full.administrator_count, full.banned_count], [3, 2, 0])

  // Dan joins; the administrator bot hears it (chat_member), then bans him.
  await dan.ok({ '@type': 'joinChat', chat_id: LOUNGE })
  await bot.next(memberUpdate(104, 'chatMemberStatusMember'))
  await bot.ok({ '@type': 'banChatMember', chat_id: LOUNGE, member_id: user(104), banned_until_date: 0, revoke_messages: false })
  const banned = await bot.next(memberUpdate(104, 'chatMemberStatusBanned'))
  t.match(banned, { actor_user_id: 900, old_chat_member: { status: { '@type': 'chatMemberStatusMember' } } })
  t.match(await dan.next(u => u['@type'] === 'updateSupergroup' && (u.supergroup as any).status['@type'] === 'chatMemberStatusBanned'), {}, 'Dan learns he is banned')
  t.match(await alice.next(u => u['@type'] === 'updateNewMessage' && (u.message as any).content['@type'] === 'messageChatDeleteMember'),
    { message: { sender_id: { user_id: 900 }, content: { user_id: 104 } } }, 'the members see him removed')
  t.same(await dan.invoke({ '@type': 'joinChat', chat_id: LOUNGE }), { '@type': 'error', code: 400, message: 'USER_BANNED_IN_CHANNEL' })
  t.same((await bot.ok({ '@type': 'getSupergroupMembers', supergroup_id: 60, filter: { '@type': 'supergroupMembersFilterBanned' }, offset: 0, limit: 10 })).total_count, 1)
  t.same(await bot.invoke({ '@type': 'banChatMember', chat_id: LOUNGE, member_id: user(101), banned_until_date: 0, revoke_messages: false }),
    { '@type': 'error', code: 400, message: 'USER_ADMIN_INVALID' }, 'the creator cannot be banned')
  await bot.ok({ '@type': 'setChatMemberStatus', chat_id: LOUNGE, member_id: user(104), status: { '@type': 'chatMemberStatusLeft' } })
  await bot.next(memberUpdate(104, 'chatMemberStatusLeft'))
  t.match(await bot.ok({ '@type': 'getChatMember', chat_id: LOUNGE, member_id: user(104) }), { status: { '@type': 'chatMemberStatusLeft' } })
  await dan.ok({ '@type': 'joinChat', chat_id: LOUNGE })

  // A chat action reaches the others.
  await bot.ok({ '@type': 'sendChatAction', chat_id: LOUNGE, action: { '@type': 'chatActionTyping' } })
  t.match(await alice.next('updateChatAction'), { chat_id: LOUNGE, sender_id: { user_id: 900 }, action: { '@type': 'chatActionTyping' } })
  t.same(await bot.invoke({ '@type': 'sendChatAction', chat_id: LOUNGE }), { '@type': 'error', code: 400, message: 'Chat action must be given' })

  await bot.ok({ '@type': 'leaveChat', chat_id: LOUNGE })
  t.match(await bot.next(memberUpdate(900, 'chatMemberStatusLeft')), { actor_user_id: 900, old_chat_member: { status: { '@type': 'chatMemberStatusAdministrator' } } })
  t.same(await bot.invoke({ '@type': 'leaveChat', chat_id: LOUNGE }), { '@type': 'error', code: 400, message: 'USER_NOT_PARTICIPANT' })
  await alice.ok({ '@type': 'getChats', limit: 20 })
  const basic = await alice.ok({ '@type': 'getBasicGroupFullInfo', basic_group_id: 50 })
  t.same([basic.creator_user_id, (basic.members as any[]).map(m => m.member_id.user_id)], [101, [101, 102]])
  t.same(problems, [], 'every update and answer as TDLib sends it')
  await Promise.all([alice.close(), dan.close(), bot.close()])
})

t.test('command menus and chosen inline results', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('c-alice'), '15550000101')
  const bot = await loginBot(sandbox, root.dir('c-bot'), '901:finder-token')
  t.same(await alice.invoke({ '@type': 'setCommands', commands: [] }), { '@type': 'error', code: 400, message: 'The method is available only to bots' })
  await bot.ok({ '@type': 'setCommands', scope: { '@type': 'botCommandScopeAllPrivateChats' }, language_code: 'en', commands: [{ '@type': 'botCommand', command: 'find', description: 'Find things' }] })
  t.same(await bot.ok({ '@type': 'getCommands', scope: { '@type': 'botCommandScopeAllPrivateChats' }, language_code: 'en' }),
    { '@type': 'botCommands', bot_user_id: 901, commands: [{ '@type': 'botCommand', command: 'find', description: 'Find things' }] })
  t.same((await bot.ok({ '@type': 'getCommands', language_code: 'en' })).commands, [], 'the default scope has its own list')
  t.same(await bot.invoke({ '@type': 'setCommands', commands: [{ '@type': 'botCommand', command: 'no way', description: 'x' }] }), { '@type': 'error', code: 400, message: 'BOT_COMMAND_INVALID' })
  await bot.ok({ '@type': 'deleteCommands', scope: { '@type': 'botCommandScopeAllPrivateChats' }, language_code: 'en' })
  t.same((await bot.ok({ '@type': 'getCommands', scope: { '@type': 'botCommandScopeAllPrivateChats' }, language_code: 'en' })).commands, [])

  await alice.ok({ '@type': 'searchPublicChat', username: 'finder_bot' })
  const pending = alice.invoke({ '@type': 'getInlineQueryResults', bot_user_id: 901, chat_id: 901, query: 'cats', offset: '' })
  const query = await bot.next('updateNewInlineQuery')
  await bot.ok({
    '@type': 'answerInlineQuery', inline_query_id: query.id, is_personal: false, cache_time: 0, next_offset: '',
    results: [{ '@type': 'inputInlineQueryResultArticle', id: 'c1', title: 'Cats', input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'cats!', entities: [] } } }]
  })
  const results = await pending
  await alice.ok({ '@type': 'sendInlineQueryResultMessage', chat_id: 901, query_id: results.inline_query_id, result_id: 'c1', hide_via_bot: false })
  t.same(await bot.next('updateNewChosenInlineResult'), { '@type': 'updateNewChosenInlineResult', sender_user_id: 101, query: 'cats', result_id: 'c1', inline_message_id: '' },
    'no inline keyboard: no inline_message_id, as in Telegram')
  t.same(problems, [])
  await Promise.all([alice.close(), bot.close()])
})

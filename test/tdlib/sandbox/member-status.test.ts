/**
 * setChatMemberStatus's promotions and restrictions in the sandbox: an
 * administrator with can_promote_members promotes within its own rights, a
 * restricted member without can_send_basic_messages cannot write, lifting
 * the restriction lets them write again, and every answer and update is
 * checked against TDLib 1.8.65's API.
 */
import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, loginBot, loginUser, problems, tempRoot, text } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

const LOUNGE = -1000000000060
const user = (id: number): TdObject => ({ '@type': 'messageSenderUser', user_id: id })
const rights = (given: Record<string, boolean>): TdObject => ({ '@type': 'chatAdministratorRights', ...given })
const memberUpdate = (userId: number, status: string) => (u: TdObject): boolean => u['@type'] === 'updateChatMember' &&
  ((u.new_chat_member as any).member_id.user_id === userId) && (u.new_chat_member as any).status['@type'] === status

t.test('promotion by an administrator, restriction and its lifting', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('s-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('s-dan'), '15550000104')
  const bot = await loginBot(sandbox, root.dir('s-bot'), '900:keys-token')
  await alice.ok({ '@type': 'searchPublicChat', username: 'lounge' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'keys_bot' })
  await dan.ok({ '@type': 'searchPublicChat', username: 'lounge' })
  await alice.ok({ '@type': 'addChatMember', chat_id: LOUNGE, user_id: 900, forward_limit: 0 })
  await dan.ok({ '@type': 'joinChat', chat_id: LOUNGE })
  const say = async (words: string): Promise<TdObject> => await dan.invoke({ '@type': 'sendMessage', chat_id: LOUNGE, input_message_content: text(words) })
  const status = async (userId: number): Promise<any> => (await bot.ok({ '@type': 'getChatMember', chat_id: LOUNGE, member_id: user(userId) })).status

  const setStatus = (userId: number, s: TdObject): TdObject => ({ '@type': 'setChatMemberStatus', chat_id: LOUNGE, member_id: user(userId), status: s })
  await alice.ok(setStatus(900, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({ can_invite_users: true }) }))
  t.match(await status(900), { '@type': 'chatMemberStatusAdministrator', rights: { can_invite_users: true, can_manage_chat: true, can_promote_members: false } }, 'the rights given, can_manage_chat implied')
  t.same(await bot.invoke(setStatus(104, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({ can_invite_users: true }) })),
    { '@type': 'error', code: 400, message: 'Not enough rights' }, 'promoting needs can_promote_members')
  t.same(await bot.invoke(setStatus(104, { '@type': 'chatMemberStatusRestricted', is_member: true, restricted_until_date: 0, permissions: { '@type': 'chatPermissions' } })),
    { '@type': 'error', code: 400, message: 'Not enough rights to restrict/unrestrict chat member' }, 'restricting needs can_restrict_members')

  await alice.ok(setStatus(900, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({ can_promote_members: true, can_restrict_members: true, can_invite_users: true }) }))
  t.same(await bot.invoke(setStatus(104, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({ can_delete_messages: true }) })),
    { '@type': 'error', code: 400, message: 'RIGHT_FORBIDDEN' }, 'no right the promoter lacks')

  // Restricted: Dan may not write, and the group counts him.
  await bot.ok(setStatus(104, { '@type': 'chatMemberStatusRestricted', is_member: true, restricted_until_date: 2000000000, permissions: { '@type': 'chatPermissions', can_send_polls: true } }))
  const restricted = await bot.next(memberUpdate(104, 'chatMemberStatusRestricted'))
  t.match(restricted, { actor_user_id: 900, new_chat_member: { status: { is_member: true, restricted_until_date: 2000000000, permissions: { can_send_polls: true, can_send_basic_messages: false } } } })
  t.same(await say('let me talk'), { '@type': 'error', code: 400, message: 'Have no write access to the chat' })
  const full = await bot.ok({ '@type': 'getSupergroupFullInfo', supergroup_id: 60 })
  t.same([full.restricted_count, full.administrator_count], [1, 2], 'a restricted member is no administrator')
  const listed = await bot.ok({ '@type': 'getSupergroupMembers', supergroup_id: 60, filter: { '@type': 'supergroupMembersFilterRestricted' }, offset: 0, limit: 10 })
  t.same((listed.members as any[]).map(m => m.member_id.user_id), [104])

  // Lifted: he writes again; then promoted, he cannot be restricted.
  await bot.ok(setStatus(104, { '@type': 'chatMemberStatusMember', member_until_date: 0 }))
  t.equal((await status(104))['@type'], 'chatMemberStatusMember')
  t.equal((await say('thanks'))['@type'], 'message')
  await bot.ok(setStatus(104, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({ can_invite_users: true }) }))
  await bot.next(memberUpdate(104, 'chatMemberStatusAdministrator'))
  const admins = await bot.ok({ '@type': 'getChatAdministrators', chat_id: LOUNGE })
  t.match((admins.administrators as any[]).find(a => a.user_id === 104), { can_be_edited: true }, 'the bot may edit whom it promoted')
  t.same(await bot.invoke(setStatus(104, { '@type': 'chatMemberStatusRestricted', is_member: true, restricted_until_date: 0, permissions: { '@type': 'chatPermissions' } })),
    { '@type': 'error', code: 400, message: 'USER_ADMIN_INVALID' })
  t.same(await bot.invoke(setStatus(101, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({ can_invite_users: true }) })),
    { '@type': 'error', code: 400, message: 'USER_CREATOR' })
  // No right set is a demotion.
  await bot.ok(setStatus(104, { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: rights({}) }))
  t.equal((await status(104))['@type'], 'chatMemberStatusMember')
  t.same(problems, [], 'every update and answer as TDLib sends it')
  await Promise.all([alice.close(), dan.close(), bot.close()])
})

/**
 * promoteChatMember and restrictChatMember end to end, over HTTP against the
 * sandbox: Alice adds the bot to her supergroup and gives it rights; the bot
 * promotes, demotes, restricts and unrestricts Carol within those
 * rights, getChatMember shows each new status in the Bot API's shape
 * (checked against @grammyjs/types), and the refusals are Telegram's (Bob,
 * an administrator the bot did not promote, is out of its reach).
 */
import t from 'tap'
import type { ChatMember, Update } from '@grammyjs/types'
import { loadShapes, shapeProblems } from './bot-api-shape.js'
import { ALICE, botCall, INLINE_BOT, withGateway } from './helpers.js'

const LOUNGE = -1000000001001
const BOB = 1000002
const CAROL = 1000003
/** The seed's Echo Bot, a plain member of the lounge (Bob is an administrator Alice made). */
const ECHO = 7000001

t.test('promoting and restricting members within the bot\'s rights', async t => {
  loadShapes()
  const { running, alice, tokens } = await withGateway(t, {
    backend: {},
    reader: { allowed_requests: ['getMe', 'getChat', 'getChatMember'] }
  })
  const call = async (method: string, params: Record<string, unknown> = {}): ReturnType<typeof botCall> => await botCall(running.apiRoot, tokens.backend!, method, params)
  const refusal = async (method: string, params: Record<string, unknown>): Promise<[number, string]> => {
    const got = await call(method, params)
    return [got.status, got.body.description]
  }
  const memberOf = async (userId: number): Promise<ChatMember> => {
    const got = await call('getChatMember', { chat_id: LOUNGE, user_id: userId })
    t.same(shapeProblems(got.body.result, 'ChatMember'), [], `getChatMember of ${userId} answers a Bot API ChatMember`)
    return got.body.result as ChatMember
  }
  const aliceGivesTheBot = async (rights: Record<string, boolean>): Promise<void> => {
    const done = await alice.tcp.request({
      '@type': 'setChatMemberStatus', '@session': alice.session, chat_id: LOUNGE, member_id: { '@type': 'messageSenderUser', user_id: INLINE_BOT.id },
      status: { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: { '@type': 'chatAdministratorRights', ...rights } }
    })
    t.equal(done['@type'], 'ok', `Alice gives the bot ${Object.keys(rights).join(', ')}`)
  }

  // Hear chat_member (not sent by default, as in Telegram).
  await call('getUpdates', { allowed_updates: ['chat_member'] })
  t.equal((await alice.tcp.request({ '@type': 'searchPublicChat', username: 'sandbox_lounge', '@session': alice.session })).id, LOUNGE, 'Alice opens her supergroup')
  t.not((await alice.tcp.request({ '@type': 'addChatMember', '@session': alice.session, chat_id: LOUNGE, user_id: INLINE_BOT.id, forward_limit: 0 }))['@type'], 'error')
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: CAROL, can_invite_users: true }), [400, 'Bad Request: CHAT_ADMIN_REQUIRED'], 'a plain member promotes nobody')
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: { can_send_messages: false } }), [400, 'Bad Request: CHAT_ADMIN_REQUIRED'], 'nor restricts')

  await aliceGivesTheBot({ can_invite_users: true })
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: CAROL, can_invite_users: true }), [400, 'Bad Request: not enough rights'], 'promoting needs can_promote_members')
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: { can_send_messages: false } }),
    [400, 'Bad Request: not enough rights to restrict/unrestrict chat member'], 'restricting needs can_restrict_members')

  await aliceGivesTheBot({ can_promote_members: true, can_restrict_members: true, can_invite_users: true, can_pin_messages: true })
  const bot = await memberOf(INLINE_BOT.id) as ChatMember & { status: 'administrator' }
  t.same([bot.status, bot.can_promote_members, bot.can_restrict_members, bot.can_manage_chat, bot.can_delete_messages], ['administrator', true, true, true, false],
    'the bot has what Alice gave it (can_manage_chat implied)')

  // Promotion, within the bot's own rights.
  t.same((await call('promoteChatMember', { chat_id: LOUNGE, user_id: CAROL, can_invite_users: true, can_pin_messages: 'true' })).body, { ok: true, result: true })
  const carol = await memberOf(CAROL) as ChatMember & { status: 'administrator' }
  t.same([carol.status, carol.user.id, carol.can_invite_users, carol.can_pin_messages, carol.can_manage_chat, carol.can_promote_members, carol.can_restrict_members],
    ['administrator', CAROL, true, true, true, false, false])
  t.equal(carol.can_post_messages, undefined, 'channel rights are not shown in a supergroup')
  let update: Update | undefined
  for (let i = 0; i < 5 && update === undefined; i++) {
    const got = (await call('getUpdates', { timeout: 5 })).body.result as Update[]
    for (const u of got) t.same(shapeProblems(u, 'Update'), [], `update ${u.update_id} is a Bot API Update`)
    update = got.find(u => u.chat_member?.new_chat_member.user.id === CAROL && u.chat_member.new_chat_member.status === 'administrator')
    if (got.length > 0) await call('getUpdates', { offset: got.at(-1)!.update_id + 1, timeout: 0 })
  }
  t.same([update?.chat_member?.from.id, update?.chat_member?.old_chat_member.status], [INLINE_BOT.id, 'member'], 'chat_member tells of the promotion, by the bot')
  const admins = (await call('getChatAdministrators', { chat_id: LOUNGE })).body.result as ChatMember[]
  t.ok(admins.some(m => m.user.id === CAROL && m.status === 'administrator'), 'Carol is listed among the administrators')
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: ECHO, can_delete_messages: true }), [400, 'Bad Request: RIGHT_FORBIDDEN'], 'no right the bot lacks')
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: BOB, can_invite_users: true }), [400, 'Bad Request: not enough rights'], 'nor an administrator someone else promoted')
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: BOB, permissions: { can_send_messages: false } }),
    [400, 'Bad Request: user is an administrator of the chat'], 'whom it cannot restrict either')
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: ALICE.id, can_invite_users: true }), [400, 'Bad Request: USER_CREATOR'], 'the creator stays the creator')
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: { can_send_messages: false } }),
    [400, 'Bad Request: user is an administrator of the chat'], 'an administrator is not restricted, even by who promoted it')

  // All rights false demotes, as in the Bot API.
  t.same((await call('promoteChatMember', { chat_id: LOUNGE, user_id: CAROL })).body, { ok: true, result: true })
  t.equal((await memberOf(CAROL)).status, 'member', 'Carol demoted')

  // Restriction: the legacy implications unless permissions are independent.
  const until = Math.floor(Date.now() / 1000) + 3600
  t.same((await call('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: JSON.stringify({ can_send_other_messages: true }), until_date: until })).body, { ok: true, result: true })
  const legacy = await memberOf(CAROL) as ChatMember & { status: 'restricted' }
  t.same([legacy.status, legacy.is_member, legacy.until_date, legacy.can_send_other_messages, legacy.can_send_messages, legacy.can_send_photos, legacy.can_send_polls, legacy.can_pin_messages],
    ['restricted', true, until, true, true, true, false, false], 'can_send_other_messages implies messages and media')
  t.same((await call('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: { can_send_other_messages: true }, use_independent_chat_permissions: true })).body, { ok: true, result: true })
  const independent = await memberOf(CAROL) as ChatMember & { status: 'restricted' }
  t.same([independent.until_date, independent.can_send_other_messages, independent.can_send_messages, independent.can_send_photos], [0, true, false, false], 'independent permissions imply nothing')
  t.same((await call('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: { can_send_polls: true } })).body.ok, true)
  const polls = await memberOf(CAROL) as ChatMember & { status: 'restricted' }
  t.same([polls.can_send_polls, polls.can_send_messages, polls.can_send_photos], [true, true, false], 'can_send_polls implies can_send_messages')

  const everything = Object.fromEntries(['can_send_messages', 'can_send_audios', 'can_send_documents', 'can_send_photos', 'can_send_videos', 'can_send_video_notes',
    'can_send_voice_notes', 'can_send_polls', 'can_send_other_messages', 'can_add_web_page_previews', 'can_react_to_messages', 'can_change_info', 'can_invite_users',
    'can_edit_tag', 'can_pin_messages', 'can_manage_topics'].map(name => [name, true]))
  t.same((await call('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: everything })).body, { ok: true, result: true })
  t.equal((await memberOf(CAROL)).status, 'member', 'every permission granted lifts the restriction')

  // Parameters and chats Telegram refuses.
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL }), [400, 'Bad Request: parameter "permissions" is required'])
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: '[true]' }), [400, 'Bad Request: parameter "permissions" must be a JSON object (ChatPermissions)'])
  t.same(await refusal('restrictChatMember', { chat_id: LOUNGE, user_id: CAROL, permissions: { can_send_messages: 'yes' } }), [400, 'Bad Request: permissions.can_send_messages must be a boolean'])
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: CAROL, can_invite_users: 'maybe' }), [400, 'Bad Request: parameter "can_invite_users" must be a boolean'])
  t.same(await refusal('promoteChatMember', { chat_id: LOUNGE, user_id: CAROL, can_send_welcome_messages: true }),
    [400, 'Bad Request: can_send_welcome_messages is not supported by the tdbroker gateway (TDLib 1.8.65 has no such right)'])
  t.same(await refusal('promoteChatMember', { chat_id: ALICE.id, user_id: ALICE.id, can_invite_users: true }), [400, 'Bad Request: method is available for supergroup and channel chats only'])
  t.same(await refusal('restrictChatMember', { chat_id: ALICE.id, user_id: ALICE.id, permissions: {} }), [400, 'Bad Request: method is available only for supergroups'])
  const news = await alice.tcp.request({ '@type': 'searchPublicChat', username: 'sandbox_news', '@session': alice.session })
  t.not((await alice.tcp.request({ '@type': 'addChatMember', '@session': alice.session, chat_id: news.id, user_id: INLINE_BOT.id, forward_limit: 0 }))['@type'], 'error', 'the bot joins Alice\'s channel')
  t.same(await refusal('restrictChatMember', { chat_id: news.id, user_id: CAROL, permissions: {} }), [400, 'Bad Request: method is available only for supergroups'], 'not in a channel')

  // Scope: both need setChatMemberStatus.
  for (const method of ['promoteChatMember', 'restrictChatMember']) {
    const refused = await botCall(running.apiRoot, tokens.reader!, method, { chat_id: LOUNGE, user_id: CAROL, permissions: {} })
    t.same([refused.status, refused.body.description], [403, `Forbidden: ${method} needs the TDLib request setChatMemberStatus, which the scope of client "reader-client" does not allow`])
  }
  t.equal((await memberOf(CAROL)).status, 'member', 'nothing changed by the refused calls')
})

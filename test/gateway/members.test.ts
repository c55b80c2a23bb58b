/**
 * Members end to end, over HTTP against the sandbox: Alice adds the bot to
 * her supergroup and promotes it (my_chat_member each time); the bot reads
 * members, the member count and the administrators, bans Carol (chat_member)
 * and lifts the ban, makes an invite link, and leaves. Every answer and
 * update is checked against @grammyjs/types at run time, and the scope and
 * parameter errors are the Bot API's.
 */
import t from 'tap'
import type { ChatMember, ChatMemberUpdated, Update } from '@grammyjs/types'
import { tempDir } from '../helpers/broker.js'
import { loadShapes, shapeProblems } from './bot-api-shape.js'
import { ALICE, botCall, customer, INLINE_BOT, prepareWorld, startGateway } from './helpers.js'

const LOUNGE = -1000000001001
const FRIENDS = -4001
const BOB = 1000002
const CAROL = 1000003

t.test('members, administrators, bans, invite links and leaving', async t => {
  loadShapes()
  const world = await prepareWorld(tempDir('tdbroker-gw-'), {
    backend: {},
    reader: { allowed_requests: ['getMe', 'getChat', 'getChatMember'] }
  })
  const running = await startGateway(world)
  t.teardown(async () => { await running.stop() })
  const alice = await customer(running, world)
  t.teardown(() => { alice.close() })
  const [token, reader] = [world.consumers[0]!.token, world.consumers[1]!.token]
  const call = async (method: string, params: Record<string, unknown> = {}): ReturnType<typeof botCall> => await botCall(running.apiRoot, token, method, params)

  // Hear chat_member too (not sent by default, as in Telegram).
  await call('getUpdates', { allowed_updates: ['message', 'my_chat_member', 'chat_member'] })
  let offset = 0
  const next = async (what: string): Promise<Update[]> => {
    const got = (await call('getUpdates', { offset, timeout: 10 })).body.result as Update[]
    t.ok(got.length > 0, `updates: ${what}`)
    for (const u of got) t.same(shapeProblems(u, 'Update'), [], `update ${u.update_id} is a Bot API Update`)
    offset = (got.at(-1)?.update_id ?? offset) + 1
    return got
  }
  const myChatMember = async (what: string): Promise<ChatMemberUpdated> => {
    for (let i = 0; i < 5; i++) {
      const found = (await next(what)).find(u => u.my_chat_member !== undefined)?.my_chat_member
      if (found !== undefined) return found
    }
    throw new Error(`no my_chat_member: ${what}`)
  }

  const lounge = await alice.tcp.request({ '@type': 'searchPublicChat', username: 'sandbox_lounge', '@session': alice.session })
  t.equal(lounge.id, LOUNGE)
  t.not((await alice.tcp.request({ '@type': 'addChatMember', '@session': alice.session, chat_id: LOUNGE, user_id: INLINE_BOT.id, forward_limit: 0 }))['@type'], 'error')
  const added = await myChatMember('the bot added')
  t.same([added.chat.id, added.chat.type, added.from.id, added.old_chat_member.status, added.new_chat_member.status], [LOUNGE, 'supergroup', ALICE.id, 'left', 'member'])
  t.equal(added.new_chat_member.user.id, INLINE_BOT.id)

  const notAdmin = await call('banChatMember', { chat_id: LOUNGE, user_id: CAROL })
  t.same([notAdmin.status, notAdmin.body.description], [400, 'Bad Request: CHAT_ADMIN_REQUIRED'], "a member can't ban")

  const promote = await alice.tcp.request({
    '@type': 'setChatMemberStatus', '@session': alice.session, chat_id: LOUNGE,
    member_id: { '@type': 'messageSenderUser', user_id: INLINE_BOT.id }, status: { '@type': 'chatMemberStatusAdministrator', can_be_edited: true, rights: { '@type': 'chatAdministratorRights', can_restrict_members: true } }
  })
  t.equal(promote['@type'], 'ok')
  const promoted = await myChatMember('the bot promoted')
  t.same([promoted.old_chat_member.status, promoted.new_chat_member.status], ['member', 'administrator'])

  const me = await call('getChatMember', { chat_id: LOUNGE, user_id: INLINE_BOT.id })
  t.same(shapeProblems(me.body.result, 'ChatMember'), [], 'getChatMember answers a ChatMember')
  const admin = me.body.result as ChatMember & { status: 'administrator' }
  t.equal(admin.status, 'administrator')
  t.equal(admin.can_restrict_members, true)
  t.equal(admin.can_post_messages, undefined, 'channel-only rights are not shown for a supergroup')
  t.equal(typeof admin.can_manage_topics, 'boolean', 'supergroup rights are')
  const owner = (await call('getChatMember', { chat_id: LOUNGE, user_id: ALICE.id })).body.result as ChatMember
  t.same(owner, { status: 'creator', user: { id: ALICE.id, is_bot: false, first_name: 'Alice', last_name: 'Archer', username: 'alice' }, is_anonymous: false })

  t.same((await call('getChatMemberCount', { chat_id: LOUNGE })).body, { ok: true, result: 5 }, 'Alice, Bob, Carol, Echo Bot and the bot')
  t.same((await call('getChatMemberCount', { chat_id: ALICE.id })).body, { ok: true, result: 2 }, 'a private chat: the user and the bot')
  const admins = await call('getChatAdministrators', { chat_id: LOUNGE })
  t.same(shapeProblems(admins.body.result, 'ChatMembers'), [])
  t.same((admins.body.result as ChatMember[]).map(m => [m.user.id, m.status]).sort(), [[ALICE.id, 'creator'], [BOB, 'administrator'], [INLINE_BOT.id, 'administrator']].sort())
  const privateAdmins = await call('getChatAdministrators', { chat_id: ALICE.id })
  t.same([privateAdmins.status, privateAdmins.body.description], [400, 'Bad Request: there are no administrators in the private chat'])

  t.same((await call('banChatMember', { chat_id: LOUNGE, user_id: CAROL })).body, { ok: true, result: true })
  const kicked = (await call('getChatMember', { chat_id: LOUNGE, user_id: CAROL })).body.result as ChatMember
  t.same([kicked.status, (kicked as { until_date?: number }).until_date, kicked.user.first_name], ['kicked', 0, 'Carol'])
  let chatMember: ChatMemberUpdated | undefined
  for (let i = 0; i < 5 && chatMember === undefined; i++) chatMember = (await next('Carol banned')).find(u => u.chat_member !== undefined)?.chat_member
  t.same([chatMember?.new_chat_member.user.id, chatMember?.old_chat_member.status, chatMember?.new_chat_member.status, chatMember?.from.id], [CAROL, 'member', 'kicked', INLINE_BOT.id], 'chat_member for an administrator bot')
  t.same((await call('getChatMemberCount', { chat_id: LOUNGE })).body.result, 4)

  t.same((await call('unbanChatMember', { chat_id: LOUNGE, user_id: BOB, only_if_banned: true })).body, { ok: true, result: true }, 'only_if_banned leaves a member alone')
  t.same((await call('getChatMember', { chat_id: LOUNGE, user_id: BOB })).body.result.status, 'administrator')
  t.same((await call('unbanChatMember', { chat_id: LOUNGE, user_id: CAROL, only_if_banned: true })).body, { ok: true, result: true })
  t.same((await call('getChatMember', { chat_id: LOUNGE, user_id: CAROL })).body.result.status, 'left', 'the ban is lifted; Carol is not back in')
  const inPrivate = await call('unbanChatMember', { chat_id: ALICE.id, user_id: CAROL })
  t.same([inPrivate.status, inPrivate.body.description], [400, 'Bad Request: method is available for supergroup and channel chats only'])
  const elsewhere = await call('getChatMemberCount', { chat_id: FRIENDS })
  t.same([elsewhere.status, elsewhere.body.description], [400, 'Bad Request: chat not found'], 'a group the bot is not in')

  const link = await call('createChatInviteLink', { chat_id: LOUNGE, name: 'for Dave', member_limit: 5 })
  t.same(shapeProblems(link.body.result, 'ChatInviteLink'), [], 'a ChatInviteLink')
  t.match(link.body.result, { name: 'for Dave', member_limit: 5, creator: { id: INLINE_BOT.id, is_bot: true }, creates_join_request: false, is_primary: false, is_revoked: false })
  t.match(link.body.result.invite_link, /^https:\/\/t\.me\/\+/)
  t.equal(link.body.result.expire_date, undefined, 'no expiry: the field is left out')
  const info = await alice.tcp.request({ '@type': 'checkChatInviteLink', '@session': alice.session, invite_link: link.body.result.invite_link })
  t.same([info['@type'], info.chat_id], ['chatInviteLinkInfo', LOUNGE], 'the link is a real one')

  // Scope and parameter errors.
  const refused = await botCall(running.apiRoot, reader, 'banChatMember', { chat_id: LOUNGE, user_id: CAROL })
  t.same([refused.status, refused.body.description], [403, 'Forbidden: banChatMember needs the TDLib request banChatMember, which the scope of client "reader-client" does not allow'])
  const count = await botCall(running.apiRoot, reader, 'getChatMemberCount', { chat_id: LOUNGE })
  t.equal(count.status, 403, 'getChatMemberCount needs getSupergroupFullInfo too')
  t.match(count.body.description, /^Forbidden: getChatMemberCount needs the TDLib request getBasicGroup/)
  t.equal((await botCall(running.apiRoot, reader, 'getChatMember', { chat_id: LOUNGE, user_id: ALICE.id })).body.result.status, 'creator', 'within its scope')
  const missing = await call('getChatMember', { chat_id: LOUNGE })
  t.same([missing.status, missing.body.description], [400, 'Bad Request: parameter "user_id" is required'])
  const unknown = await call('setChatTitle', { chat_id: LOUNGE, title: 'Lounge' })
  t.same([unknown.status, unknown.body], [404, { ok: false, error_code: 404, description: 'Not Found' }])

  t.same((await call('leaveChat', { chat_id: LOUNGE })).body, { ok: true, result: true })
  const left = await myChatMember('the bot left')
  t.same([left.old_chat_member.status, left.new_chat_member.status, left.from.id], ['administrator', 'left', INLINE_BOT.id])
  const gone = await call('leaveChat', { chat_id: LOUNGE })
  t.same([gone.status, gone.body.description], [400, 'Bad Request: USER_NOT_PARTICIPANT'])
})

/**
 * The findings of issue 11 against the policy functions directly: ids that
 * are not chat ids (files, calls, group calls, inline messages, folders,
 * links), answers of other types, requests whose effect cannot be checked,
 * the login flow and account-wide requests.
 */
import t from 'tap'
import { BrokerError } from '../../src/errors.js'
import { authorizationStateView, checkAccountRequest } from '../../src/policy/account.js'
import { filterAnswer } from '../../src/policy/answers.js'
import { checkRequest } from '../../src/policy/chat-check.js'
import { chatScopeStep } from '../../src/policy/chat-step.js'
import { globalPolicy, openPolicy, type ClientPolicy } from '../../src/policy/policy.js'
import { scopedPolicy } from '../../src/policy/scope.js'
import { SeenIds, MAX_PER_KIND, type SeenKind } from '../../src/policy/seen-ids.js'
import type { RequestContext } from '../../src/server/pipeline.js'
import type { TdObject } from '../../src/tdlib/backend.js'

const MINE = new Set([10, 42])
const nothingSeen = (): undefined => undefined
const refusal = (f: () => unknown): string | undefined => {
  try { f() } catch (e) { if (e instanceof BrokerError) return e.message; throw e }
  return undefined
}
const doc = (id: number): TdObject => ({ '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: { '@type': 'inputFileId', id } } })
const send = (content: TdObject, chat = 10): TdObject => ({ '@type': 'sendMessage', chat_id: chat, input_message_content: content })

t.test('file ids (finding 1): only files shown to the client in one of its chats', async t => {
  t.match(refusal(() => checkRequest(send(doc(3)), MINE, nothingSeen)),
    /^CHAT_NOT_ALLOWED: .*input_message_content\.document\.document\.id: file 3 was not shown to this client in one of its chats/)
  for (const type of ['getFile', 'downloadFile', 'readFilePart', 'cancelDownloadFile', 'deleteFile']) {
    t.match(refusal(() => checkRequest({ '@type': type, file_id: 1 }, MINE, nothingSeen)), /^CHAT_NOT_ALLOWED: file_id: file 1/, type)
  }
  const seen = new SeenIds()
  seen.note('s1', { '@type': 'message', chat_id: 10, content: { '@type': 'messageDocument', document: { '@type': 'document', document: { '@type': 'file', id: 3 } } } }, undefined)
  seen.note('s1', { '@type': 'updateNewMessage', message: { '@type': 'message', chat_id: 11, content: { photo: { '@type': 'file', id: 4 } } } }, 11)
  const lookup = (kind: SeenKind, id: number | string): number | undefined => seen.chatOf('s1', kind, id)
  t.same(checkRequest(send(doc(3)), MINE, lookup), { anchored: true, chat: 10 }, 'a file shown in chat 10 may be re-sent')
  t.same(checkRequest({ '@type': 'downloadFile', file_id: 3, priority: 1 }, MINE, lookup), { anchored: true, chat: 10 }, 'and downloaded')
  t.match(refusal(() => checkRequest(send(doc(4)), MINE, lookup)), /the chat of file 4 .* is not one of this client's chats/, 'a file of another chat is not')
  t.equal(seen.chatOf('s2', 'file', 3), undefined, 'what a client was shown in one session says nothing about another')
  const many = new SeenIds()
  for (let i = 1; i <= MAX_PER_KIND + 5; i++) many.note('s', { '@type': 'file', id: i }, 10)
  t.equal(many.chatOf('s', 'file', 1), undefined, 'the memory is bounded: the oldest ids are forgotten')
  t.equal(many.chatOf('s', 'file', MAX_PER_KIND + 5), 10)
  t.match(refusal(() => checkRequest(send({ '@type': 'inputMessageDocument', document: { document: { '@type': 'inputFileRemote', id: 'BQACAgIAAx' } } }), MINE, lookup)), /remote file id/)
})

t.test('call, group call, inline message and folder ids (finding 3)', async t => {
  t.match(refusal(() => checkRequest({ '@type': 'discardCall', call_id: 2, is_disconnected: false, duration: 0, is_video: false, connection_id: '0' }, MINE, nothingSeen)),
    /^CHAT_NOT_ALLOWED: call_id: call 2 was not shown to this client/)
  const seen = new SeenIds()
  seen.note('s', { '@type': 'updateCall', call: { '@type': 'call', id: 2, user_id: 42 } }, 42)
  seen.note('s', { '@type': 'updateCall', call: { '@type': 'call', id: 3, user_id: 99 } }, 99)
  const lookup = (kind: SeenKind, id: number | string): number | undefined => seen.chatOf('s', kind, id)
  t.same(checkRequest({ '@type': 'discardCall', call_id: 2, connection_id: '7215' }, MINE, lookup), { anchored: true, chat: 42 }, 'a call with one of its users may be ended (its chat: the user\'s)')
  t.match(refusal(() => checkRequest({ '@type': 'discardCall', connection_id: '7215' }, MINE, lookup)), /connection_id names a connection of a call without the call/)
  t.match(refusal(() => checkRequest({ '@type': 'acceptCall', call_id: 3 }, MINE, lookup)), /the chat of call 3/, 'not a call with someone else')
  t.match(refusal(() => checkRequest({ '@type': 'joinVideoChat', group_call_id: 5 }, MINE, nothingSeen)), /group_call_id: group call 5 was not shown/)
  seen.note('s', { '@type': 'chat', id: 10, video_chat: { '@type': 'videoChat', group_call_id: 5 } }, undefined)
  t.same(checkRequest({ '@type': 'getGroupCall', group_call_id: 5 }, MINE, lookup), { anchored: true, chat: 10 }, "the video chat of one of its chats")
  const query = '4611686018427387905'
  t.match(refusal(() => checkRequest({ '@type': 'answerCallbackQuery', callback_query_id: query, text: 'done' }, MINE, lookup)), /callback query 4611686018427387905 was not shown/)
  seen.note('s', { '@type': 'updateNewCallbackQuery', id: query, chat_id: 10, sender_user_id: 10, message_id: 1 }, 10)
  seen.note('s', { '@type': 'updateNewCallbackQuery', id: '4611686018427387906', chat_id: 11, sender_user_id: 11, message_id: 1 }, 11)
  t.same(checkRequest({ '@type': 'answerCallbackQuery', callback_query_id: query, text: 'done' }, MINE, lookup), { anchored: true, chat: 10 }, 'a button pressed in chat 10 may be answered')
  t.match(refusal(() => checkRequest({ '@type': 'answerCallbackQuery', callback_query_id: '4611686018427387906' }, MINE, lookup)), /the chat of callback query/, 'not one pressed elsewhere')
  t.match(refusal(() => checkRequest({ '@type': 'editInlineMessageText', inline_message_id: 'AAAA' }, MINE, nothingSeen)), /inline_message_id is an inline message id/)
  t.match(refusal(() => checkRequest({ '@type': 'getChatFolder', chat_folder_id: 1 }, MINE, nothingSeen)), /chat_folder_id is a chat folder id/)
  t.match(refusal(() => checkRequest({ '@type': 'deleteBusinessMessages', business_connection_id: 'x', message_ids: [1] }, MINE, nothingSeen)), /business connection id/)
})

t.test('links and URLs (finding 4), mentions by id and tg://user links (finding 12)', async t => {
  t.match(refusal(() => checkRequest({ '@type': 'getMessageLinkInfo', url: 'https://t.me/c/1000003/5' }, MINE, nothingSeen)), /^CHAT_NOT_ALLOWED: url is a link or URL/)
  t.match(refusal(() => checkRequest({ '@type': 'getInternalLinkType', link: 'tg://resolve?domain=x' }, MINE, nothingSeen)), /link is a link or URL/)
  const text = (entity: TdObject): TdObject => ({ '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'hi', entities: [{ '@type': 'textEntity', offset: 0, length: 2, type: entity }] } })
  t.match(refusal(() => checkRequest(send(text({ '@type': 'textEntityTypeMentionName', user_id: 43 })), MINE, nothingSeen)), /the chat of user 43 .*text\.entities\.0\.type\.user_id/)
  t.same(checkRequest(send(text({ '@type': 'textEntityTypeMentionName', user_id: 42 })), MINE, nothingSeen), { anchored: true, chat: undefined }, 'two chats: the answer belongs to no single one')
  for (const url of ['tg://user?id=43', 'TG://USER?ID=43', 'tg:user?id=43', ' tg://user?foo=1&id=43']) {
    t.match(refusal(() => checkRequest(send(text({ '@type': 'textEntityTypeTextUrl', url })), MINE, nothingSeen)), /user 43 .*tg:\/\/user link/, url)
  }
  t.match(refusal(() => checkRequest(send(text({ '@type': 'textEntityTypeTextUrl', url: 'tg://user?id=x' })), MINE, nothingSeen)), /tg: user link the broker cannot read/)
  t.same(checkRequest(send(text({ '@type': 'textEntityTypeTextUrl', url: 'tg://user?id=42' })), MINE, nothingSeen), { anchored: true, chat: undefined })
  t.same(checkRequest(send(text({ '@type': 'textEntityTypeTextUrl', url: 'https://example.com' })), MINE, nothingSeen), { anchored: true, chat: 10 }, 'an ordinary link in a text is fine')
})

t.test('message ids only with their chat; nested objects by their declared types', async t => {
  t.same(checkRequest({ '@type': 'getMessage', chat_id: 10, message_id: 5 }, MINE, nothingSeen), { anchored: true, chat: 10 })
  t.match(refusal(() => checkRequest({ '@type': 'getMessage', chat_id: 11, message_id: 5 }, MINE, nothingSeen)), /chat 11 \(chat_id\)/)
  t.match(refusal(() => checkRequest({ '@type': 'getMessage', message_id: 5 }, MINE, nothingSeen)), /message_id names a message without its chat/)
  t.same(checkRequest(send({ '@type': 'inputMessageText' }), MINE, nothingSeen), { anchored: true, chat: 10 })
  const reply = (to: TdObject): TdObject => ({ ...send({ '@type': 'inputMessageText' }), reply_to: to })
  t.match(refusal(() => checkRequest(reply({ '@type': 'inputMessageReplyToExternalMessage', chat_id: 11, message_id: 1 }), MINE, nothingSeen)), /chat 11 \(reply_to\.chat_id\)/)
  t.match(refusal(() => checkRequest(reply({ chat_id: 11, message_id: 1 } as unknown as TdObject), MINE, nothingSeen)), /reply_to needs an @type/, 'a union without @type cannot be read')
  t.match(refusal(() => checkRequest(reply({ '@type': 'inputMessageDocument', chat_id: 11 }), MINE, nothingSeen)), /reply_to must be one of the InputMessageReplyTo types/)
  t.match(refusal(() => checkRequest({ '@type': 'sendMessageAlbum', chat_id: 10, input_message_contents: doc(1) }, MINE, nothingSeen)), /input_message_contents must be an array/)
  t.match(refusal(() => checkRequest({ '@type': 'noSuchRequest' }, MINE, nothingSeen)), /noSuchRequest is not a TDLib request/)
  t.match(refusal(() => checkRequest({ '@type': '__proto__' }, MINE, nothingSeen)), /is not a TDLib request/)
  t.match(refusal(() => checkRequest({ '@type': 'sendMessage', chat_id: 10, unknown_key: { chat_id: 11 } }, MINE, nothingSeen)), undefined,
    'keys TDLib ignores are ignored here (chats.ts still refuses chat-named keys anywhere)')
  t.match(refusal(() => checkRequest({ '@type': 'getStory', story_poster_chat_id: 11, story_id: 1 }, MINE, nothingSeen)), /chat 11 \(story_poster_chat_id\)/)
  t.match(refusal(() => checkRequest({ '@type': 'answerShippingQuery', shipping_query_id: '5', error_message: '' }, MINE, nothingSeen)), /shipping_query_id is an id the broker cannot map to a chat/)
})

t.test('requests whose effect cannot be checked are refused before they run (finding 6)', async t => {
  for (const r of [
    { '@type': 'createNewSupergroupChat', title: 'x', is_channel: true },
    { '@type': 'createNewBasicGroupChat', user_ids: [42], title: 'x' },
    { '@type': 'createNewSecretChat', user_id: 42 },
    { '@type': 'upgradeBasicGroupChatToSupergroupChat', chat_id: 10 }
  ]) t.match(refusal(() => checkRequest(r, MINE, nothingSeen)), /creates a chat, which cannot be one of this client's chats/, r['@type'])
  t.match(refusal(() => checkRequest({ '@type': 'importContacts', contacts: [{ '@type': 'importedContact', phone_number: '+15550001004' }] }, MINE, nothingSeen)),
    /contacts\.0\.phone_number is a username, invite link or phone number/, 'importContacts never adds a contact (finding 4)')
  t.match(refusal(() => checkRequest({ '@type': 'searchUserByPhoneNumber', phone_number: '+15550001004' }, MINE, nothingSeen)), /phone_number/)
})

const policyWith = (scope: Record<string, unknown> = {}): ClientPolicy =>
  scopedPolicy(globalPolicy({ allowed_requests: ['getContacts', 'clearImportedContacts', 'getMe', 'searchMessages', 'setOption'], allowed_updates: [] }), 'desk',
    { sessions: 'all', may_create_sessions: false, chats: [10, 42], ...scope })
async function step (policy: ClientPolicy, request: TdObject, answer: TdObject): Promise<{ reached: boolean, result: TdObject | string }> {
  let reached = false
  const ctx = { client: { name: 'desk', policy }, session: { id: 's' }, request } as unknown as RequestContext
  try {
    const result = await chatScopeStep(ctx, async () => { reached = true; return answer })
    return { reached, result }
  } catch (e) {
    return { reached, result: e instanceof Error ? e.message : String(e) }
  }
}

t.test('answers: an allowlist of types with their filters (finding 4)', async t => {
  const desk = policyWith()
  const contacts = await step(desk, { '@type': 'getContacts' }, { '@type': 'users', total_count: 3, user_ids: [42, 43, 44] })
  t.match(contacts, { reached: true, result: /^ANSWER_WITHHELD: an answer of type users to getContacts/ }, 'the contact list is withheld')
  const found = await step(desk, { '@type': 'searchMessages', query: 'x', limit: 10 },
    { '@type': 'foundMessages', total_count: 57, messages: [{ '@type': 'message', chat_id: 10 }, { '@type': 'message', chat_id: 11 }], next_offset: 'n' })
  t.same(found.result, { '@type': 'foundMessages', total_count: 1, messages: [{ '@type': 'message', chat_id: 10 }], next_offset: 'n' },
    'total_count no longer counts the matches in other chats')
  const ctx = { chats: MINE, request: { '@type': 'getMessageThread', chat_id: 10, message_id: 1 }, anchored: true, login: false }
  t.same(filterAnswer({ '@type': 'messageThreadInfo', chat_id: 11, messages: [] }, ctx), { withheld: 'other-chat' }, 'the thread of a channel post lives in the discussion group')
  t.same(filterAnswer({ '@type': 'publicForwards', total_count: 9, forwards: [
    { '@type': 'publicForwardMessage', message: { '@type': 'message', chat_id: 11 } },
    { '@type': 'publicForwardStory', story: { poster_chat_id: 12 } },
    { '@type': 'publicForwardMessage', message: { '@type': 'message', chat_id: 42 } }], next_offset: 'x' }, ctx),
  { answer: { '@type': 'publicForwards', total_count: 1, forwards: [{ '@type': 'publicForwardMessage', message: { '@type': 'message', chat_id: 42 } }], next_offset: '' } })
  const loose = { ...ctx, anchored: false, request: { '@type': 'getChatFolder', chat_folder_id: 1 } }
  t.same(filterAnswer({ '@type': 'chatFolder', name: {} }, loose), { withheld: 'type' })
  t.same(filterAnswer({ '@type': 'messageLinkInfo', chat_id: 11 }, loose), { withheld: 'type' })
  t.same(filterAnswer({ '@type': 'userFullInfo', bio: {} }, ctx), { answer: { '@type': 'userFullInfo', bio: {} } }, 'an answer to a request about the client\'s own chats passes')
  t.same(filterAnswer({ '@type': 'supergroup', id: 5 }, ctx), { withheld: 'other-chat' })
  t.same(filterAnswer({ '@type': 'authorizationStateWaitOtherDeviceConfirmation', link: 'tg://login?token=abc' }, loose),
    { answer: { '@type': 'authorizationStateWaitOtherDeviceConfirmation' } }, 'getAuthorizationState tells the state, not the link')
  const cleared = await step(desk, { '@type': 'clearImportedContacts' }, { '@type': 'ok' })
  t.match(cleared, { reached: false, result: /^CHAT_NOT_ALLOWED: clearImportedContacts names none of this client's chats/ }, 'an account-wide action is refused before it runs')
  const full = await step(desk, { '@type': 'getUserFullInfo', user_id: 42 }, { '@type': 'userFullInfo', photo: { '@type': 'chatPhoto', sizes: [{ '@type': 'photoSize', photo: { '@type': 'file', id: 88 } }] } })
  t.equal((full.result as TdObject)['@type'], 'userFullInfo', 'an answer about one of its chats passes')
  t.equal(desk.seen?.chatOf('s', 'file', 88), 42, 'and its files count as shown in that chat')
  t.match(await step(desk, { '@type': 'downloadFile', file_id: 88, priority: 1 }, { '@type': 'file', id: 88 }), { reached: true, result: { '@type': 'file', id: 88 } }, 'so the photo may be downloaded')
  const me = await step(desk, { '@type': 'getMe' }, { '@type': 'user', id: 7000001 })
  t.same(me.result, { '@type': 'user', id: 7000001 }, 'getMe still works')
})

t.test('login flow and account-wide requests only for scopes that allow them (findings 7 and 12)', async t => {
  const desk = policyWith()
  const refused = (p: ClientPolicy, r: TdObject): string | undefined => refusal(() => { checkAccountRequest(r, p) })
  for (const type of ['requestQrCodeAuthentication', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'confirmQrCodeAuthentication']) {
    t.match(refused(desk, { '@type': type }), /^REQUEST_NOT_ALLOWED: .* is a login request/, type)
  }
  for (const type of ['addProxy', 'enableProxy', 'removeProxy', 'testProxy', 'pingProxy', 'setNetworkType', 'close', 'destroy', 'logOut']) {
    t.match(refused(desk, { '@type': type }), /^REQUEST_NOT_ALLOWED: .* acts on the whole session/, type)
  }
  t.match(refused(desk, { '@type': 'setOption', name: 'online', value: { '@type': 'optionValueBoolean', value: true } }), /option "online" is not one this client may set/)
  t.equal(refused(policyWith({ options: ['online'] }), { '@type': 'setOption', name: 'online' }), undefined, 'scope.options lists what it may set')
  t.equal(refused(policyWith({ login: true }), { '@type': 'requestQrCodeAuthentication' }), undefined, 'scope.login allows the login flow')
  t.equal(refused(policyWith({ account: true }), { '@type': 'addProxy' }), undefined, 'scope.account allows the account-wide requests')
  const backend = scopedPolicy(globalPolicy({ allowed_requests: ['setOption'], allowed_updates: [] }), 'backend', { sessions: 'own', may_create_sessions: true })
  t.equal(refused(backend, { '@type': 'setAuthenticationPhoneNumber' }), undefined, 'a client without chats logs in as before')
  t.equal(refused(backend, { '@type': 'setOption', name: 'online' }), undefined, 'and sets options')
  t.match(refused(backend, { '@type': 'setOption', name: 'language_pack_database_path', value: { '@type': 'optionValueString', value: '/tmp/x' } }),
    /language_pack_database_path/, 'except the reserved ones, which make TDLib write where the client says')
  t.match(refused(backend, { '@type': 'logOut' }), /acts on the whole session/, 'account-wide requests need scope.account for every listed client')
  const proxy = { '@type': 'addProxy', proxy: { '@type': 'proxy', server: '127.0.0.1', port: 1080, type: { '@type': 'proxyTypeSocks5', username: 'u', password: 'p' } }, enable: false }
  t.match(await step(policyWith({ account: true }), proxy, { '@type': 'addedProxy' }), { reached: true, result: { '@type': 'addedProxy' } },
    'what scope.account allows is not read for chats (a proxy user name is no username of a chat)')
  t.match(await step(policyWith({ login: true }), { '@type': 'setAuthenticationPhoneNumber', phone_number: '+15550001002' }, { '@type': 'ok' }), { reached: true },
    'nor what scope.login allows (a phone number to log in with)')
  const open = openPolicy(globalPolicy({ allowed_requests: ['logOut'], allowed_updates: [] }))
  t.equal(refused(open, { '@type': 'logOut' }), undefined, 'a broker without a clients list trusts every connection, as before')
  t.same(authorizationStateView({ '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateWaitOtherDeviceConfirmation', link: 'tg://login?token=x' } }),
    { '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateWaitOtherDeviceConfirmation' } })
  t.same(authorizationStateView({ '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateWaitPassword', password_hint: 'dog' } }),
    { '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateWaitPassword' } })
})

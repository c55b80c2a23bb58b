/** Which chats requests and updates name, and how answers are cut down (docs/clients.md, "Chat scope"). */
import t from 'tap'
import { filterAnswer } from '../../src/policy/answers.js'
import { chatIdOf, requestChats, updateChat } from '../../src/policy/chats.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { scopedPolicy } from '../../src/policy/scope.js'
import { globalPolicy } from '../../src/policy/policy.js'

t.test('requests: every chat- or user-identifying field, at any depth', async t => {
  t.same(requestChats({ '@type': 'sendMessage', chat_id: 5, input_message_content: { '@type': 'inputMessageText' } }), [5])
  t.same(requestChats({ '@type': 'getUser', user_id: 7 }), [7], 'a user counts as its private chat')
  t.same(requestChats({ '@type': 'forwardMessages', chat_id: 1, from_chat_id: 2, message_ids: [3, 4] }), [1, 2], 'message ids are not chats')
  t.same(requestChats({ '@type': 'addChatMembers', chat_id: -5, user_ids: [8, 9] }), [-5, 8, 9])
  t.same(requestChats({ '@type': 'getSupergroup', supergroup_id: 42 }), [chatIdOf('supergroup', 42)])
  t.same(requestChats({ '@type': 'getBasicGroup', basic_group_id: 42 }), [-42])
  t.same(requestChats({ '@type': 'getSecretChat', secret_chat_id: 3 }), [-2_000_000_000_000 + 3])
  t.same(requestChats({ '@type': 'setChatMemberStatus', chat_id: 1, member_id: { '@type': 'messageSenderUser', user_id: 99 } }), [1, 99], 'nested senders count')
  t.same(requestChats({ '@type': 'sendMessage', chat_id: 1, reply_to: { '@type': 'inputMessageReplyToExternalMessage', chat_id: 66, message_id: 1 } }), [1, 66])
  t.same(requestChats({ '@type': 'getInlineQueryResults', bot_user_id: 12, chat_id: '34' }), [12, 34], 'ids written as strings are read as TDLib reads them')
  t.same(requestChats({ '@type': 'getMe' }), [], 'a request that names no chat names none')
  t.same(requestChats({ '@type': 'getChats', chat_list: null, limit: 5 }), [])
  t.same(requestChats({ '@type': 'getUser', user_id: 0 }), [], '0 is TDLib for "none"')
})

t.test('requests: fields that cannot be checked are refused', async t => {
  t.match(requestChats({ '@type': 'sendMessage', chat_id: 'me' }), /^chat_id must be a numeric id$/)
  t.match(requestChats({ '@type': 'sendMessage', chat_id: { id: 1 } }), /^chat_id must be a numeric id$/)
  t.match(requestChats({ '@type': 'sendMessage', chat_id: 1.5 }), /^chat_id must be a numeric id$/)
  t.match(requestChats({ '@type': 'addChatMembers', chat_id: 1, user_ids: [2, null] }), /^user_ids must be a numeric id$/)
  t.match(requestChats({ '@type': 'searchPublicChat', username: 'durov' }), /^username names a chat by text/)
  t.match(requestChats({ '@type': 'joinChatByInviteLink', invite_link: 'https://t.me/+abc' }), /^invite_link names a chat by text/)
})

t.test('updates: the chat they are about, by the documented rules, first rule first', async t => {
  t.equal(updateChat({ '@type': 'updateNewMessage', message: { '@type': 'message', chat_id: -100, sender_id: { '@type': 'messageSenderUser', user_id: 5 } } }), -100)
  t.equal(updateChat({ '@type': 'updateDeleteMessages', chat_id: 3, message_ids: [1] }), 3)
  t.equal(updateChat({ '@type': 'updateNewChat', chat: { '@type': 'chat', id: 8 } }), 8)
  t.equal(updateChat({ '@type': 'updateNewCallbackQuery', chat_id: 9, sender_user_id: 10 }), 9, 'chat_id wins over the sender')
  t.equal(updateChat({ '@type': 'updateNewInlineQuery', sender_user_id: 10 }), 10)
  t.equal(updateChat({ '@type': 'updateUserStatus', user_id: 11 }), 11)
  t.equal(updateChat({ '@type': 'updateUser', user: { '@type': 'user', id: 12 } }), 12)
  t.equal(updateChat({ '@type': 'updateSupergroup', supergroup: { '@type': 'supergroup', id: 13 } }), chatIdOf('supergroup', 13))
  t.equal(updateChat({ '@type': 'updateBasicGroupFullInfo', basic_group_id: 14 }), -14)
  t.equal(updateChat({ '@type': 'updateCall', call: { '@type': 'call', user_id: 15 } }), 15)
  t.equal(updateChat({ '@type': 'updateOption', name: 'x' }), undefined, 'an update that names no chat')
  t.equal(updateChat({ '@type': 'updateFile', file: { '@type': 'file', id: 1 } }), undefined)
})

t.test('answers: lists lose other chats, single objects from other chats are withheld', async t => {
  const mine = new Set([1, 2])
  const answerInChats = (answer: TdObject, chats: ReadonlySet<number>, request: TdObject = { '@type': 'getChat', chat_id: 1 }): TdObject | undefined => {
    const v = filterAnswer(answer, { chats, request, anchored: false, login: false })
    return 'answer' in v ? v.answer : undefined
  }
  t.same(answerInChats({ '@type': 'chats', total_count: 4, chat_ids: [1, 3, 2, 4] }, mine), { '@type': 'chats', total_count: 2, chat_ids: [1, 2] })
  t.equal(answerInChats({ '@type': 'chat', id: 3 }, mine), undefined)
  t.same(answerInChats({ '@type': 'chat', id: 2 }, mine), { '@type': 'chat', id: 2 })
  t.equal(answerInChats({ '@type': 'message', chat_id: 5 }, mine), undefined)
  t.same(answerInChats({ '@type': 'foundMessages', messages: [{ chat_id: 1 }, { chat_id: 5 }], next_offset: '' }, mine), { '@type': 'foundMessages', messages: [{ chat_id: 1 }], next_offset: '' })
  t.same(answerInChats({ '@type': 'user', id: 77 }, mine, { '@type': 'getMe' }), { '@type': 'user', id: 77 }, 'the account itself passes (getMe must work)')
  t.equal(answerInChats({ '@type': 'user', id: 77 }, mine, { '@type': 'searchUserByToken', token: 'x' }), undefined, 'another user does not')
  t.same(answerInChats({ '@type': 'user', id: 2 }, mine, { '@type': 'searchUserByToken', token: 'x' }), { '@type': 'user', id: 2 }, 'a user whose private chat is allowed does')
})

t.test('a scope only narrows the global lists', async t => {
  const global = globalPolicy({ allowed_requests: ['getMe', 'sendMessage'], allowed_updates: ['updateNewMessage'] })
  const scoped = scopedPolicy(global, 'ops', { allowed_requests: ['getMe', 'deleteChat'], allowed_updates: ['updateNewMessage', 'updateUser'], sessions: 'own', may_create_sessions: false })
  t.equal(scoped.allowsRequest('getMe'), true)
  t.equal(scoped.allowsRequest('sendMessage'), false, 'in the global list, not in the scope')
  t.equal(scoped.allowsRequest('deleteChat'), false, 'in the scope, not in the global list')
  t.equal(scoped.allowsUpdate('updateUser'), false)
  t.equal(scoped.allowsUpdate('updateAuthorizationState'), true, 'state updates always pass')
  t.equal(scoped.allowsRequest('setTdlibParameters'), false, 'reserved requests never pass')
  t.equal(scoped.allowsSession({ id: '1', creator: 'ops' }), true)
  t.equal(scoped.allowsSession({ id: '1', creator: 'backend' }), false)
  t.equal(scoped.allowsSession({ id: '1' }), false, 'a session nobody created is nobody\'s own')
  for (const name of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'GETME', ' getMe', 'getMe ', 'getМe']) {
    t.equal(scoped.allowsRequest(name), false, `${JSON.stringify(name)} is not a listed name`)
  }
  const all = scopedPolicy(global, 'x', { sessions: 'all', may_create_sessions: true })
  t.equal(all.allowsRequest('sendMessage'), true, 'no allowed_requests in the scope: the global list')
})

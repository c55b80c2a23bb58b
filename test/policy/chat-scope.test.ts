/**
 * A client limited to some chats, through real sockets (updates produced by
 * a test backend, so every case is exact): it hears only about its chats,
 * may only name its chats, and answers are cut down to them.
 */
import t from 'tap'
import { FakeBackend } from '../helpers/fake-backend.js'
import type { Msg } from '../helpers/client.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { connectAs, errorName, keyClient, startBroker, testKey } from '../helpers/clients.js'

const newMessage = (chatId: number): TdObject => ({ '@type': 'updateNewMessage', message: { '@type': 'message', id: chatId * 10, chat_id: chatId } })

t.test('a chat-scoped client hears and acts only within its chats', async t => {
  const [allKey, chatKey] = [await testKey(), await testKey()]
  const backend = new FakeBackend()
  const b = await startBroker({
    allowed_requests: ['sendMessage', 'getChat', 'getChats', 'getUser', 'searchPublicChat', 'forwardMessages', 'getMe'],
    allowed_updates: ['updateNewMessage', 'updateUser', 'updateOption', 'updateChatTitle', 'updateFile'],
    clients: [keyClient('backend', allKey), keyClient('desk', chatKey, { chats: [10, 42] })]
  }, { backend })
  t.teardown(b.stop)
  const all = await connectAs(b.port, 'backend', allKey)
  const desk = await connectAs(b.port, 'desk', chatKey)
  t.teardown(() => { all.close(); desk.close() })
  const session = await all.createSession()
  await desk.request({ '@type': 'broker.attachSession', session })
  await desk.waitFor(m => m['@type'] === 'updateAuthorizationState')

  const client = backend.client(session)
  client.emit(newMessage(10))
  client.emit(newMessage(11))
  client.emit({ '@type': 'updateChatTitle', chat_id: 11, title: 'not yours' })
  client.emit({ '@type': 'updateChatTitle', chat_id: 10, title: 'yours' })
  client.emit({ '@type': 'updateUser', user: { '@type': 'user', id: 42 } })
  client.emit({ '@type': 'updateUser', user: { '@type': 'user', id: 43 } })
  client.emit({ '@type': 'updateOption', name: 'names no chat' })
  client.emit({ '@type': 'updateFile', file: { '@type': 'file', id: 1 } })
  client.emit({ '@type': 'updateConnectionState', state: { '@type': 'connectionStateUpdating' } })
  client.emit({ '@type': 'updateConnectionState', state: { '@type': 'connectionStateReady' } })
  client.emit(newMessage(10))
  await all.waitFor(m => m['@type'] === 'updateNewMessage' && all.updates(session, 'updateNewMessage').length === 3)
  await desk.request({ '@type': 'broker.ping' })
  const about = (m: Msg): string => `${String(m['@type'])}:${JSON.stringify((m.message as Msg | undefined)?.chat_id ?? m.chat_id ?? (m.user as Msg | undefined)?.id ?? (m.state as Msg | undefined)?.['@type'] ?? null)}`
  t.same(desk.updates(session).filter(m => m['@type'] !== 'updateAuthorizationState').map(about), [
    'updateConnectionState:"connectionStateReady"',
    'updateNewMessage:10',
    'updateChatTitle:10',
    'updateUser:42',
    'updateConnectionState:"connectionStateUpdating"',
    'updateConnectionState:"connectionStateReady"',
    'updateNewMessage:10'
  ], 'its chats (a user is its private chat), and the state updates; nothing about other chats or no chat')
  t.equal(all.updates(session).filter(m => m['@type'] !== 'updateAuthorizationState' && m['@type'] !== 'updateConnectionState').length, 9, 'the unscoped client gets everything')

  const inScope = await desk.request({ '@type': 'sendMessage', chat_id: 10, input_message_content: { '@type': 'inputMessageText' }, '@session': session })
  t.equal(inScope['@type'], 'ok', 'it may act on its chat')
  const cases: Msg[] = [
    { '@type': 'sendMessage', chat_id: 11 },
    { '@type': 'sendMessage', chat_id: '11' },
    { '@type': 'sendMessage', chat_id: 'me' },
    { '@type': 'sendMessage', chat_id: 10, reply_to: { '@type': 'inputMessageReplyToExternalMessage', chat_id: 11, message_id: 1 } },
    { '@type': 'forwardMessages', chat_id: 10, from_chat_id: 11, message_ids: [1] },
    { '@type': 'getUser', user_id: 43 },
    { '@type': 'searchPublicChat', username: 'somebody' }
  ]
  for (const msg of cases) {
    const r = await desk.request({ ...msg, '@session': session })
    t.equal(errorName(r), 'CHAT_NOT_ALLOWED', JSON.stringify(msg))
  }
  const sent = backend.client(session).requests.filter(r => r['@type'] === 'sendMessage' || r['@type'] === 'forwardMessages' || r['@type'] === 'getUser')
  t.same(sent.map(r => r.chat_id ?? r.user_id), [10], 'none of the refused requests reached the backend')

  const chats = await desk.request({ '@type': 'getChats', limit: 10, '@session': session })
  t.same(chats.chat_ids, [10], 'a chat list is cut down to its chats')
  t.same((await all.request({ '@type': 'getChats', limit: 10, '@session': session })).chat_ids, [10, 11, 12], 'not for the unscoped client')
  t.equal((await desk.request({ '@type': 'getMe', '@session': session }))['@type'], 'ok', 'requests that name no chat pass')
  t.ok(b.logs.find(r => r.audit === 'request.refused' && r.client === 'desk' && r.reason === 'CHAT_NOT_ALLOWED'), 'refusals are audited')
})

t.test('file ids: a chat-scoped client uses only files it was shown in its chats (issue 11, finding 1)', async t => {
  const [allKey, chatKey] = [await testKey(), await testKey()]
  const backend = new FakeBackend()
  const b = await startBroker({
    allowed_requests: ['sendMessage', 'getFile', 'downloadFile'],
    allowed_updates: ['updateNewMessage'],
    clients: [keyClient('backend', allKey), keyClient('desk', chatKey, { chats: [10] })]
  }, { backend })
  t.teardown(b.stop)
  const all = await connectAs(b.port, 'backend', allKey)
  const desk = await connectAs(b.port, 'desk', chatKey)
  t.teardown(() => { all.close(); desk.close() })
  const session = await all.createSession()
  await desk.request({ '@type': 'broker.attachSession', session })
  const withFile = (chatId: number, fileId: number): TdObject => ({
    '@type': 'updateNewMessage',
    message: { '@type': 'message', id: fileId * 100, chat_id: chatId, content: { '@type': 'messageDocument', document: { '@type': 'document', document: { '@type': 'file', id: fileId, size: 1 } } } }
  })
  const client = backend.client(session)
  client.emit(withFile(11, 4))
  client.emit(withFile(10, 3))
  await desk.waitFor(m => m['@type'] === 'updateNewMessage' && (m.message as Msg).chat_id === 10)
  const repost = (fileId: number): Msg => ({
    '@type': 'sendMessage', chat_id: 10, '@session': session,
    input_message_content: { '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: { '@type': 'inputFileId', id: fileId } } }
  })
  t.equal((await desk.request(repost(3)))['@type'], 'ok', 'a file shown in its chat may be re-posted')
  t.equal((await desk.request({ '@type': 'downloadFile', file_id: 3, priority: 1, '@session': session }))['@type'], 'ok', 'and downloaded')
  for (const id of [1, 2, 4, 5]) {
    const r = await desk.request(repost(id))
    t.equal(errorName(r), 'CHAT_NOT_ALLOWED', `file ${id}, never shown to it (or shown in another chat), may not`)
    t.match(r.message, /input_message_content\.document\.document\.id/, 'the refusal names the field')
  }
  t.equal(errorName(await desk.request({ '@type': 'getFile', file_id: 4, '@session': session })), 'CHAT_NOT_ALLOWED')
  const reached = client.requests.filter(r => r['@type'] === 'sendMessage' || r['@type'] === 'getFile' || r['@type'] === 'downloadFile')
  t.equal(reached.length, 2, 'only the two allowed requests reached TDLib')
  t.equal((await all.request(repost(4)))['@type'], 'ok', 'an unscoped client is not limited')
})

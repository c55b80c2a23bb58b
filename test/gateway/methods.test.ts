/**
 * The other methods end to end, over HTTP against the sandbox: sendMessage
 * with HTML, a reply and an inline keyboard; editMessageText; deleteMessage;
 * the customer's edit arriving as edited_message; FLOOD_WAIT as 429 with
 * retry_after; allowed_updates; a consumer whose client is limited to some
 * chats hearing nothing of the others. Results are typed as @grammyjs/types.
 */
import t from 'tap'
import type { Message, Update } from '@grammyjs/types'
import { ALICE, INLINE_BOT, botCall, say, withGateway } from './helpers.js'

t.test('send, edit, delete, edited_message, flood wait, chat scope', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {}, elsewhere: { chats: [1000002] } })
  const [backend, elsewhere] = [world.consumers[0]!.token, world.consumers[1]!.token]

  await say(alice, 'hello')
  const first = (await botCall(running.apiRoot, backend, 'getUpdates', { timeout: 10 })).body.result as Update[]
  const hello = first[0]!.message!
  t.equal(hello.text, 'hello')

  const sent = await botCall(running.apiRoot, backend, 'sendMessage', {
    chat_id: ALICE.id, text: '<b>Hi</b> there', parse_mode: 'HTML',
    reply_parameters: { message_id: hello.message_id },
    reply_markup: { inline_keyboard: [[{ text: 'Site', url: 'https://example.com/' }, { text: 'Ok', callback_data: 'ok' }]] }
  })
  t.equal(sent.status, 200)
  const message = sent.body.result as Message
  t.equal(message.text, 'Hi there')
  t.same(message.entities, [{ offset: 0, length: 2, type: 'bold' }])
  t.same(message.from, { id: INLINE_BOT.id, is_bot: true, first_name: 'Inline Bot', username: INLINE_BOT.username })
  t.same(message.reply_markup, { inline_keyboard: [[{ text: 'Site', url: 'https://example.com/' }, { text: 'Ok', callback_data: 'ok' }]] })
  const seen = await alice.tcp.waitFor(m => m['@type'] === 'updateNewMessage' && (m.message as any).sender_id.user_id === INLINE_BOT.id, 10_000, 'the reply')
  const tdMessage = seen.message as any
  t.equal(tdMessage.id / 2 ** 20, message.message_id, 'message_id is the TDLib id divided by 2^20')
  t.equal(tdMessage.reply_to?.message_id / 2 ** 20, hello.message_id, 'the reply names the message')

  const edited = await botCall(running.apiRoot, backend, 'editMessageText', { chat_id: ALICE.id, message_id: message.message_id, text: 'Changed' })
  t.equal(edited.status, 200)
  t.equal((edited.body.result as Message).text, 'Changed')
  t.ok((edited.body.result as Message).edit_date! > 0, 'edit_date')
  await alice.tcp.waitFor(m => m['@type'] === 'updateMessageContent' && m.message_id === tdMessage.id, 10_000, 'the edit')

  const deleted = await botCall(running.apiRoot, backend, 'deleteMessage', { chat_id: ALICE.id, message_id: message.message_id })
  t.same([deleted.status, deleted.body.result], [200, true])
  await alice.tcp.waitFor(m => m['@type'] === 'updateDeleteMessages' && (m.message_ids as number[]).includes(tdMessage.id), 10_000, 'the deletion')
  const again = await botCall(running.apiRoot, backend, 'editMessageText', { chat_id: ALICE.id, message_id: message.message_id, text: 'gone' })
  t.equal(again.status, 400, 'a deleted message cannot be edited')
  t.match(again.body.description, /^Bad Request: /)

  // The customer edits her message: edited_message.
  const mine = await alice.tcp.request({ '@type': 'editMessageText', '@session': alice.session, chat_id: alice.chatId, message_id: hello.message_id * 2 ** 20, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'hello again', entities: [] } } })
  t.equal(mine['@type'], 'message')
  const next = (await botCall(running.apiRoot, backend, 'getUpdates', { offset: first[0]!.update_id + 1, timeout: 10 })).body.result as Update[]
  t.same(next.map(u => Object.keys(u)), [['update_id', 'edited_message']])
  t.equal(next[0]!.edited_message!.text, 'hello again')
  t.equal(next[0]!.edited_message!.message_id, hello.message_id)

  // allowed_updates: only callback queries from now on.
  await botCall(running.apiRoot, backend, 'getUpdates', { offset: next[0]!.update_id + 1, allowed_updates: ['callback_query'] })
  await say(alice, 'not for the backend')
  const flood = await (async () => {
    running.faults.floodWait({ sessionId: world.botSession }, 7, 1, ['sendMessage'])
    return await botCall(running.apiRoot, backend, 'sendMessage', { chat_id: ALICE.id, text: 'too fast' })
  })()
  t.same(flood.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } }, 'FLOOD_WAIT becomes 429')
  const filtered = await botCall(running.apiRoot, backend, 'getUpdates', { timeout: 1 })
  t.same(filtered.body.result, [], 'a kind outside allowed_updates is not queued')
  // Updates are converted in order: once the next message is queued, the one before was dropped, not late.
  await botCall(running.apiRoot, backend, 'getUpdates', { allowed_updates: ['message'] })
  await say(alice, 'for the backend')
  const wanted = await botCall(running.apiRoot, backend, 'getUpdates', { timeout: 10 })
  t.same(wanted.body.result.map((u: Update) => u.message?.text), ['for the backend'], 'only what came after allowed_updates changed back')

  // The consumer limited to Bob's chat heard nothing of Alice's.
  const other = await botCall(running.apiRoot, elsewhere, 'getUpdates', { timeout: 1 })
  t.same(other.body.result, [], 'updates of chats outside the client scope are not queued')
  const refused = await botCall(running.apiRoot, elsewhere, 'sendMessage', { chat_id: ALICE.id, text: 'no' })
  t.equal(refused.status, 403, "the broker's chat scope refuses the send")
  t.match(refused.body.description, /^Forbidden: CHAT_NOT_ALLOWED/)
  const chat = await botCall(running.apiRoot, backend, 'getChat', { chat_id: ALICE.id })
  t.same([chat.body.result.id, chat.body.result.type, chat.body.result.first_name, chat.body.result.username], [ALICE.id, 'private', 'Alice', 'alice'])
})

t.test('forwardMessage, copyMessage, editMessageReplyMarkup, deleteMessages', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} })
  const token = world.consumers[0]!.token
  await say(alice, 'forward me')
  const original = ((await botCall(running.apiRoot, token, 'getUpdates', { timeout: 10 })).body.result as Update[])[0]!.message!

  const forwarded = await botCall(running.apiRoot, token, 'forwardMessage', { chat_id: ALICE.id, from_chat_id: ALICE.id, message_id: original.message_id })
  t.equal(forwarded.status, 200)
  t.equal((forwarded.body.result as Message).text, 'forward me')
  t.not((forwarded.body.result as Message).message_id, original.message_id, 'a new message')
  const copied = await botCall(running.apiRoot, token, 'copyMessage', { chat_id: ALICE.id, from_chat_id: ALICE.id, message_id: original.message_id })
  t.same(Object.keys(copied.body.result), ['message_id'], 'copyMessage answers a MessageId')
  const copy = await alice.tcp.waitFor(m => m['@type'] === 'updateNewMessage' && (m.message as any).id === copied.body.result.message_id * 2 ** 20, 10_000, 'the copy')
  t.equal((copy.message as any).forward_info, undefined, 'a copy has no forward header')

  const sent = (await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id, text: 'keys', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } })).body.result as Message
  const marked = await botCall(running.apiRoot, token, 'editMessageReplyMarkup', { chat_id: ALICE.id, message_id: sent.message_id, reply_markup: { inline_keyboard: [[{ text: 'B', callback_data: 'b' }]] } })
  t.same((marked.body.result as Message).reply_markup, { inline_keyboard: [[{ text: 'B', callback_data: 'b' }]] })

  const ids = [sent.message_id, (forwarded.body.result as Message).message_id]
  const deleted = await botCall(running.apiRoot, token, 'deleteMessages', { chat_id: ALICE.id, message_ids: ids })
  t.same(deleted.body, { ok: true, result: true })
  await alice.tcp.waitFor(m => m['@type'] === 'updateDeleteMessages' && ids.every(id => (m.message_ids as number[]).includes(id * 2 ** 20)), 10_000, 'both deleted')
  const bad = await botCall(running.apiRoot, token, 'deleteMessages', { chat_id: ALICE.id, message_ids: [] })
  t.same([bad.status, bad.body.description], [400, 'Bad Request: message_ids must be a JSON array of 1 to 100 message ids'])
})

t.test('channel posts', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} })
  const token = world.consumers[0]!.token
  const news = await alice.tcp.request({ '@type': 'searchPublicChat', username: 'sandbox_news', '@session': alice.session })
  t.equal(news['@type'], 'chat')
  const added = await alice.tcp.request({ '@type': 'addChatMember', '@session': alice.session, chat_id: news.id, user_id: INLINE_BOT.id, forward_limit: 0 })
  t.not(added['@type'], 'error', 'Alice adds the bot to her channel')
  const post = await alice.tcp.request({ '@type': 'sendMessage', '@session': alice.session, chat_id: news.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'news!', entities: [] } } })
  t.not(post['@type'], 'error')
  // The service message about the bot joining comes first, with the common fields only; long polling may answer before the post.
  let updates: Update[] = []
  for (let offset = 0, i = 0; i < 5 && !updates.some(u => u.channel_post?.text !== undefined); i++) {
    const got = (await botCall(running.apiRoot, token, 'getUpdates', { offset, timeout: 10 })).body.result as Update[]
    updates = [...updates, ...got]
    offset = (got.at(-1)?.update_id ?? offset - 1) + 1
  }
  t.ok(updates.some(u => u.channel_post !== undefined && u.channel_post.text === undefined), 'the service message, with common fields')
  const channelPost = updates.find(u => u.channel_post?.text !== undefined)?.channel_post
  t.equal(channelPost?.text, 'news!')
  t.same(channelPost?.chat, { id: -1000000001002, type: 'channel', title: 'Sandbox News', username: 'sandbox_news' }, 'the channel, with the -100 id')
  t.same(channelPost?.sender_chat, channelPost?.chat, 'sent on behalf of the channel')
  t.equal(channelPost?.from, undefined)

  // Alice edits the post: edited_channel_post, with edit_date.
  const edit = await alice.tcp.request({ '@type': 'editMessageText', '@session': alice.session, chat_id: news.id, message_id: channelPost!.message_id * 2 ** 20, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'news, edited', entities: [] } } })
  t.equal(edit['@type'], 'message')
  let editedPost: Update['edited_channel_post']
  for (let offset = (updates.at(-1)?.update_id ?? 0) + 1, i = 0; i < 5 && editedPost === undefined; i++) {
    const got = (await botCall(running.apiRoot, token, 'getUpdates', { offset, timeout: 10 })).body.result as Update[]
    editedPost = got.find(u => u.edited_channel_post !== undefined)?.edited_channel_post
    offset = (got.at(-1)?.update_id ?? offset - 1) + 1
  }
  t.same([editedPost?.text, editedPost?.message_id, editedPost?.chat.id], ['news, edited', channelPost?.message_id, -1000000001002])
  t.ok((editedPost?.edit_date ?? 0) > 0, 'edit_date')
})

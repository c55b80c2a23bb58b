/**
 * Clients send null (or a value of the wrong type) where TDLib's API has an
 * optional object: the sandbox answers like TDLib (null is "not given"; a
 * value it cannot read is a 400), never by failing the request, which the
 * broker would report as a closed session.
 */
import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { miscHandlers } from '../../../src/tdlib/sandbox/misc.js'
import { authHandlers, qrConfirmHandlers } from '../../../src/tdlib/sandbox/auth.js'
import { lookupHandlers } from '../../../src/tdlib/sandbox/lookups.js'
import { messageHandlers } from '../../../src/tdlib/sandbox/messages.js'
import { groupHandlers } from '../../../src/tdlib/sandbox/groups.js'
import { inlineHandlers } from '../../../src/tdlib/sandbox/inline.js'
import { callHandlers } from '../../../src/tdlib/sandbox/calls.js'
import { SEED, loginBot, loginUser, problems, tempRoot, text } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

const PROTOCOL = { '@type': 'callProtocol', udp_p2p: true, udp_reflector: true, min_layer: 65, max_layer: 92, library_versions: ['4.0.0'] }

t.test('getChats and loadChats: chat_list null is the main list, as in TDLib', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('null-chats'), '15550000101')
  const main = await alice.ok({ '@type': 'getChats', chat_list: { '@type': 'chatListMain' }, limit: 10 })
  t.ok((main.chat_ids as number[]).length > 0, 'alice has chats')
  t.same(await alice.ok({ '@type': 'getChats', chat_list: null, limit: 10 }), main)
  t.same(await alice.ok({ '@type': 'getChats', limit: 10 }), main)
  t.same(await alice.ok({ '@type': 'getChats', chat_list: { '@type': 'chatListArchive' }, limit: 10 }), { '@type': 'chats', total_count: 0, chat_ids: [] })
  t.same(await alice.invoke({ '@type': 'loadChats', chat_list: null, limit: 10 }), { '@type': 'error', code: 404, message: 'Not Found' },
    'everything is loaded already, as for the main list')
})

t.test('sendMessage: null reply_to, options and link_preview_options are "not given"; null content is refused', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('null-send'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: '@bobby' })
  const sent = await alice.ok({
    '@type': 'sendMessage', chat_id: 102, reply_to: null, options: null, reply_markup: null,
    input_message_content: { ...text('hello'), link_preview_options: null },
  })
  t.match(sent, { '@type': 'message', chat_id: 102, content: { '@type': 'messageText', text: { text: 'hello' } } })
  t.notOk('reply_to' in sent && sent.reply_to !== null && sent.reply_to !== undefined, 'not a reply')
  t.same(await alice.invoke({ '@type': 'sendMessage', chat_id: 102, input_message_content: null }),
    { '@type': 'error', code: 400, message: 'Message content must be non-empty' })
})

t.test('createCall: a null protocol is refused like a missing one', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('null-call'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  const missing = await alice.invoke({ '@type': 'createCall', user_id: 104, is_video: false })
  t.same(missing, { '@type': 'error', code: 400, message: 'Call protocol must be non-empty' })
  t.same(await alice.invoke({ '@type': 'createCall', user_id: 104, protocol: null, is_video: false }), missing)
  t.match(await alice.ok({ '@type': 'createCall', user_id: 104, protocol: PROTOCOL, is_video: false }), { '@type': 'callId' })
})

t.test('answerInlineQuery: a null button is no button', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bot = await loginBot(sandbox, root.dir('null-inl-bot'), '901:finder-token')
  const alice = await loginUser(sandbox, root.dir('null-inl-alice'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: 'finder_bot' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  const results = alice.ok({ '@type': 'getInlineQueryResults', bot_user_id: 901, chat_id: 104, query: 'cats', offset: '' })
  const query = await bot.next('updateNewInlineQuery')
  await bot.ok({
    '@type': 'answerInlineQuery', inline_query_id: query.id, is_personal: false, button: null, cache_time: 0, next_offset: '',
    results: [{ '@type': 'inputInlineQueryResultArticle', id: 'a1', title: 'A cat', input_message_content: text('cat') }],
  })
  const answered = await results
  t.match(answered, { '@type': 'inlineQueryResults', results: [{ id: 'a1' }] })
  t.notOk('button' in answered && answered.button !== null && answered.button !== undefined, 'no button')
})

t.test('a value a handler cannot read is a 400 naming the request, and the session goes on', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('null-guard'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: '@bobby' })
  for (const [request, what] of [
    [{ '@type': 'importContacts', contacts: 5 }, 'is not iterable'],
    [{ '@type': 'importContacts', contacts: [null] }, 'Cannot read properties of null'],
    [{ '@type': 'sendMessage', chat_id: 102, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'x', entities: [null] } } },
      'Cannot read properties of null'],
  ] as Array<[TdObject, string]>) {
    const answer = await alice.invoke(request)
    t.match(answer, { '@type': 'error', code: 400, message: `Failed to parse JSON object as TDLib request: a field of ${request['@type']} has a value of the wrong type` }, JSON.stringify(request))
    t.match(answer.message, new RegExp(what), 'with what went wrong')
  }
  t.same(await alice.invoke({ '@type': 'testSquareInt', x: 3 }), { '@type': 'testInt', value: 9 }, 'still answering')
})

t.test('no request of the sandbox fails on null or oddly typed fields', async t => {
  // Every method the sandbox handles, each field it reads (found by watching a request
  // object), each set to values a careless client might send.
  const SKIP = new Set(['close', 'destroy', 'logOut', 'deleteAccount', 'setTdlibParameters'])
  const methods = Object.keys({ ...miscHandlers, ...authHandlers, ...qrConfirmHandlers, ...lookupHandlers, ...messageHandlers, ...groupHandlers, ...inlineHandlers, ...callHandlers })
    .filter(m => !SKIP.has(m))
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('null-sweep'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: '@bobby' })
  const values: unknown[] = [null, 5, 'x', [], {}, true, [null], [5], { '@type': 'nonsense' }]
  const failures: string[] = []
  let tried = 0
  for (const method of methods) {
    const fields = new Set<string>()
    const watched = new Proxy({ '@type': method, chat_id: 102, user_id: 102 } as TdObject, {
      get (target, key) {
        if (typeof key === 'string' && key !== '@type') fields.add(key)
        return target[key as string]
      },
    })
    await alice.client.invoke(watched).catch(() => {})
    for (const field of fields) {
      for (const value of values) {
        tried++
        const request = { '@type': method, chat_id: 102, user_id: 102, [field]: value } as TdObject
        const answer: TdObject = await alice.client.invoke(request).catch((e: unknown) => ({ '@type': 'thrown', message: String(e) }))
        if (answer['@type'] === 'thrown' || (answer['@type'] === 'error' && (answer.code as number) >= 500)) {
          failures.push(`${method} ${field}=${JSON.stringify(value)}: ${String(answer.message)}`)
        }
      }
    }
  }
  t.ok(tried > 500, `${tried} requests tried`)
  t.same(failures, [], 'none thrown, none answered 5xx')
})

t.test('answers conform to the TDLib schema', async t => {
  t.same(problems.filter(p => !p.includes(' error')), [])
})

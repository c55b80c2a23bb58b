/**
 * sendMessage in full through unmodified grammY's API client against the
 * sandbox: reply keyboards, keyboard removal, force reply, entities with
 * UTF-16 offsets, legacy Markdown, a MarkdownV2 error, reply_to_message_id
 * (reply_to_message in the answer), link_preview_options,
 * disable_notification; and sendChatAction, seen by the customer. What
 * TDLib received is read on the customer's side; every answer is checked
 * against @grammyjs/types.
 */
import t from 'tap'
import { Bot, GrammyError, Keyboard } from 'grammy'
import type { Message, Update } from '@grammyjs/types'
import type { Msg } from '../helpers/client.js'
import { loadShapes, shapeProblems } from './bot-api-shape.js'
import { ALICE, INLINE_BOT, botCall, say, withGateway } from './helpers.js'

t.test('keyboards, entities, replies, link previews and chat actions', async t => {
  loadShapes()
  const { world, running, alice } = await withGateway(t, { backend: {} })
  const token = world.consumers[0]!.token
  const api = new Bot(token, { client: { apiRoot: running.apiRoot } }).api

  await say(alice, 'hello')
  const hello = ((await botCall(running.apiRoot, token, 'getUpdates', { timeout: 10 })).body.result as Update[])[0]!.message!
  /** The bot's message as Alice's TDLib session received it. */
  const seen = async (m: Message): Promise<Record<string, any>> => {
    const u: Msg = await alice.tcp.waitFor(x => x['@type'] === 'updateNewMessage' && (x.message as any).id === m.message_id * 2 ** 20, 10_000, `message ${m.message_id}`)
    return u.message as Record<string, any>
  }
  const checked = (m: Message): Message => {
    t.same(shapeProblems(m, 'Message'), [], `message ${m.message_id} is a Bot API Message`)
    return m
  }

  const keyboard = new Keyboard().text('Yes').text('No').row().requestContact('My phone').resized().oneTime().placeholder('Choose')
  const withKeyboard = checked(await api.sendMessage(ALICE.id, 'Pick one', { reply_markup: keyboard }))
  t.equal(withKeyboard.reply_markup, undefined, 'a Message shows inline keyboards only, as in the Bot API')
  const shown = (await seen(withKeyboard)).reply_markup
  t.match(shown, { '@type': 'replyMarkupShowKeyboard', resize_keyboard: true, one_time: true, is_persistent: false, input_field_placeholder: 'Choose' })
  t.same(shown.rows.map((r: any[]) => r.map(b => [b.text, b.type['@type']])), [[['Yes', 'keyboardButtonTypeText'], ['No', 'keyboardButtonTypeText']], [['My phone', 'keyboardButtonTypeRequestPhoneNumber']]])

  const removed = checked(await api.sendMessage(ALICE.id, 'Thanks', { reply_markup: { remove_keyboard: true, selective: true } }))
  t.same((await seen(removed)).reply_markup, { '@type': 'replyMarkupRemoveKeyboard', is_personal: true })
  const forced = checked(await api.sendMessage(ALICE.id, 'Your name?', { reply_markup: { force_reply: true, input_field_placeholder: 'Name' } }))
  t.same((await seen(forced)).reply_markup, { '@type': 'replyMarkupForceReply', is_personal: false, input_field_placeholder: 'Name' })

  // Entities: offsets in UTF-16 code units (the emoji is two).
  const entities = checked(await api.sendMessage(ALICE.id, '😀 bold and a link', {
    entities: [{ offset: 3, length: 4, type: 'bold' }, { offset: 14, length: 4, type: 'text_link', url: 'https://example.com/' }]
  }))
  t.same(entities.entities, [{ offset: 3, length: 4, type: 'bold' }, { offset: 14, length: 4, type: 'text_link', url: 'https://example.com/' }])
  t.same((await seen(entities)).content.text.entities.map((e: any) => [e.offset, e.length, e.type['@type']]), [[3, 4, 'textEntityTypeBold'], [14, 4, 'textEntityTypeTextUrl']])

  const legacy = checked(await api.sendMessage(ALICE.id, '*bold* _italic_', { parse_mode: 'Markdown' }))
  t.same([legacy.text, legacy.entities], ['bold italic', [{ offset: 0, length: 4, type: 'bold' }, { offset: 5, length: 6, type: 'italic' }]], 'legacy Markdown')
  const html = checked(await api.sendMessage(ALICE.id, '<i>x</i> <code>y</code> <a href="https://example.com/">z</a>', { parse_mode: 'HTML' }))
  t.same(html.entities?.map(e => e.type), ['italic', 'code', 'text_link'])
  const broken = await api.sendMessage(ALICE.id, 'a.b', { parse_mode: 'MarkdownV2' }).catch((e: unknown) => e)
  t.ok(broken instanceof GrammyError, 'grammY sees a Bot API error')
  t.same([(broken as GrammyError).error_code, (broken as GrammyError).description.startsWith("Bad Request: can't parse entities: ")], [400, true])

  // A reply: reply_to_message in the answer, reply_to at TDLib.
  const reply = checked(await api.sendMessage(ALICE.id, 'Answering', { reply_to_message_id: hello.message_id, disable_notification: true } as Parameters<typeof api.sendMessage>[2]))
  t.equal(reply.reply_to_message?.message_id, hello.message_id)
  t.equal(reply.reply_to_message?.text, 'hello')
  t.equal((await seen(reply)).reply_to.message_id, hello.message_id * 2 ** 20)
  const replyParameters = checked(await api.sendMessage(ALICE.id, 'Again', { reply_parameters: { message_id: hello.message_id } }))
  t.equal(replyParameters.reply_to_message?.from?.id, ALICE.id)
  const quoted = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id, text: 'x', reply_parameters: { message_id: hello.message_id, quote: 'hel' } })
  t.same([quoted.status, quoted.body.description], [400, 'Bad Request: reply_parameters.quote is not supported by the tdbroker gateway yet (message_id only, in the same chat)'])

  const preview = checked(await api.sendMessage(ALICE.id, 'See https://example.com/a', { link_preview_options: { url: 'https://example.com/b', prefer_small_media: true, show_above_text: true } }))
  t.same(preview.link_preview_options, { url: 'https://example.com/b', prefer_small_media: true, show_above_text: true })
  t.match((await seen(preview)).content.link_preview_options, { is_disabled: false, url: 'https://example.com/b', force_small_media: true, force_large_media: false, show_above_text: true })
  const noPreview = checked(await api.sendMessage(ALICE.id, 'https://example.com/c', { link_preview_options: { is_disabled: true } }))
  t.same(noPreview.link_preview_options, { is_disabled: true })

  // Bad markup is a 400 that says what was wrong.
  const badButton = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id, text: 'x', reply_markup: { keyboard: [[{ text: '' }]] } })
  t.same([badButton.status, badButton.body.description], [400, 'Bad Request: reply_markup.keyboard[0][0]: text is required'])
  const notInline = await botCall(running.apiRoot, token, 'editMessageReplyMarkup', { chat_id: ALICE.id, message_id: removed.message_id, reply_markup: { remove_keyboard: true } })
  t.same([notInline.status, notInline.body.description], [400, 'Bad Request: reply_markup must be an inline keyboard (inline_keyboard) for this method'])
  const badEntity = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id, text: 'x', entities: [{ type: 'bold' }] })
  t.same([badEntity.status, badEntity.body.description], [400, 'Bad Request: entities[0] needs integer offset and length'])

  // sendChatAction: Alice sees the bot typing.
  t.equal(await api.sendChatAction(ALICE.id, 'typing'), true)
  const typing = await alice.tcp.waitFor(m => m['@type'] === 'updateChatAction' && m.chat_id === INLINE_BOT.id, 10_000, 'the chat action')
  t.same([(typing.sender_id as any).user_id, (typing.action as any)['@type']], [INLINE_BOT.id, 'chatActionTyping'])
  const badAction = await botCall(running.apiRoot, token, 'sendChatAction', { chat_id: ALICE.id, action: 'dancing' })
  t.equal(badAction.status, 400)
  t.match(badAction.body.description, /^Bad Request: wrong parameter action in request; use one of typing, /)
})

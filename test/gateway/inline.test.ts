/**
 * Inline mode end to end with an unmodified grammY bot: Alice's inline query
 * reaches it as inline_query, its answerInlineQuery reaches Alice as
 * results, and the result she sends comes back as chosen_inline_result
 * (with inline_message_id, the message having an inline keyboard). Updates
 * are checked against @grammyjs/types.
 */
import t from 'tap'
import { Bot, InlineKeyboard } from 'grammy'
import type { ChosenInlineResult, InlineQuery, Update } from '@grammyjs/types'
import { loadShapes, shapeProblems } from './bot-api-shape.js'
import { ALICE, INLINE_BOT, botCall, withGateway } from './helpers.js'

t.test('inline queries and chosen results', async t => {
  loadShapes()
  const { world, running, alice } = await withGateway(t, { backend: {} })

  const bot = new Bot(world.consumers[0]!.token, { client: { apiRoot: running.apiRoot } })
  let queried: (q: InlineQuery) => void = () => {}
  const querySeen = new Promise<InlineQuery>(resolve => { queried = resolve })
  let chose: (r: ChosenInlineResult) => void = () => {}
  const chosenSeen = new Promise<ChosenInlineResult>(resolve => { chose = resolve })
  bot.on('inline_query', async ctx => {
    queried(ctx.inlineQuery)
    await ctx.answerInlineQuery([
      { type: 'article', id: 'hello', title: 'Say hello', description: 'a greeting', input_message_content: { message_text: '<b>Hello</b> there', parse_mode: 'HTML' }, reply_markup: new InlineKeyboard().text('Like', 'like') },
      { type: 'article', id: 'plain', title: 'Plain', input_message_content: { message_text: 'plain' } }
    ], { cache_time: 0, next_offset: '2', button: { text: 'Settings', start_parameter: 'settings' } })
  })
  bot.on('chosen_inline_result', ctx => { chose(ctx.chosenInlineResult) })
  const errors: unknown[] = []
  bot.catch(e => { errors.push(e) })
  const polling = bot.start({ timeout: 1 })
  t.teardown(async () => { await bot.stop(); await polling })

  const results = await alice.tcp.request({ '@type': 'getInlineQueryResults', '@session': alice.session, bot_user_id: INLINE_BOT.id, chat_id: alice.chatId, query: 'hel', offset: '' })
  const query = await querySeen
  t.same(shapeProblems({ update_id: 1, inline_query: query }, 'Update'), [], 'an InlineQuery in an Update')
  t.same([query.query, query.offset, query.from.id, query.chat_type], ['hel', '', ALICE.id, 'private'])
  t.equal(results['@type'], 'inlineQueryResults')
  t.same((results.results as any[]).map(r => [r['@type'], r.id, r.title]), [['inlineQueryResultArticle', 'hello', 'Say hello'], ['inlineQueryResultArticle', 'plain', 'Plain']])
  t.same([results.next_offset, (results.button as any)?.text, (results.button as any)?.type?.parameter], ['2', 'Settings', 'settings'])

  const sent = await alice.tcp.request({ '@type': 'sendInlineQueryResultMessage', '@session': alice.session, chat_id: alice.chatId, query_id: results.inline_query_id, result_id: 'hello', hide_via_bot: false })
  t.equal(sent['@type'], 'message')
  t.same([(sent.content as any).text.text, (sent.content as any).text.entities.map((e: any) => e.type['@type'])], ['Hello there', ['textEntityTypeBold']], 'HTML parsed for the result')
  const chosen = await chosenSeen
  t.same(shapeProblems({ update_id: 1, chosen_inline_result: chosen }, 'Update'), [], 'a ChosenInlineResult in an Update')
  t.same([chosen.result_id, chosen.query, chosen.from.id], ['hello', 'hel', ALICE.id])
  t.equal(typeof chosen.inline_message_id, 'string', 'the message has an inline keyboard: inline_message_id is given')
  t.same(errors, [], 'no handler failed')
})

t.test('answerInlineQuery refuses what it cannot send', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} })
  const token = world.consumers[0]!.token
  const pending = alice.tcp.request({ '@type': 'getInlineQueryResults', '@session': alice.session, bot_user_id: INLINE_BOT.id, chat_id: alice.chatId, query: 'x', offset: '' })
  let update: Update | undefined
  for (let i = 0; i < 5 && update === undefined; i++) update = ((await botCall(running.apiRoot, token, 'getUpdates', { timeout: 10 })).body.result as Update[]).find(u => u.inline_query !== undefined)
  t.same(shapeProblems(update, 'Update'), [])
  const id = update!.inline_query!.id
  const photo = await botCall(running.apiRoot, token, 'answerInlineQuery', { inline_query_id: id, results: [{ type: 'photo', id: 'p', photo_url: 'https://example.com/p.jpg', thumbnail_url: 'https://example.com/t.jpg' }] })
  t.same([photo.status, photo.body.description], [400, 'Bad Request: results[0]: result type "photo" is not supported by the tdbroker gateway yet (article only)'])
  const noContent = await botCall(running.apiRoot, token, 'answerInlineQuery', { inline_query_id: id, results: [{ type: 'article', id: 'a', title: 'A' }] })
  t.same([noContent.status, noContent.body.description], [400, 'Bad Request: results[0].input_message_content is required'])
  const answered = await botCall(running.apiRoot, token, 'answerInlineQuery', { inline_query_id: id, results: [] })
  t.same(answered.body, { ok: true, result: true }, 'an empty answer is an answer')
  t.same(((await pending).results as unknown[]), [])
  const again = await botCall(running.apiRoot, token, 'answerInlineQuery', { inline_query_id: id, results: [] })
  t.same([again.status, again.body.description], [400, 'Bad Request: QUERY_ID_INVALID'], 'a query is answered once')
})

/**
 * Several consumers of one bot session: two operator bots on long polling
 * (unmodified grammY, bot.start()) each receive every customer message,
 * beside a backend consumer; the operators' scope forbids sendMessage, which
 * they get as 403; tokens and methods that do not exist are 401 and 404;
 * bad parameters are 400 with what was wrong.
 */
import t from 'tap'
import { Bot, GrammyError } from 'grammy'
import { tempDir } from '../helpers/broker.js'
import { ALICE, botCall, customer, prepareWorld, say, startGateway, withGateway, wrongToken } from './helpers.js'

const OPERATOR_SCOPE = { allowed_requests: ['getMe', 'getChat', 'getUser'] }

t.test('two operators on long polling both get every message; their sendMessage is 403', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {}, 'ops-a': OPERATOR_SCOPE, 'ops-b': OPERATOR_SCOPE })
  const [backend, opsA, opsB] = world.consumers as [typeof world.consumers[0], typeof world.consumers[0], typeof world.consumers[0]]

  const texts = { a: [] as string[], b: [] as string[] }
  const bots = [new Bot(opsA.token, { client: { apiRoot: running.apiRoot } }), new Bot(opsB.token, { client: { apiRoot: running.apiRoot } })]
  const want = ['one', 'two', 'three']
  const all = bots.map((bot, i) => new Promise<void>(resolve => {
    const list = i === 0 ? texts.a : texts.b
    bot.on('message:text', ctx => {
      list.push(ctx.message.text)
      if (list.length === want.length) resolve()
    })
  }))
  const polling = bots.map(bot => bot.start({ timeout: 1 }))
  t.teardown(async () => { await Promise.all(bots.map(async b => { await b.stop() })); await Promise.all(polling) })
  // The bots poll once getMe and deleteWebhook have answered.
  await Promise.all(bots.map(async bot => { await bot.init() }))

  for (const text of want) await say(alice, text)
  const timeout = new Promise((_resolve, reject) => setTimeout(() => { reject(new Error(`timed out; a: ${texts.a.join()}, b: ${texts.b.join()}`)) }, 15_000))
  await Promise.race([Promise.all(all), timeout])
  t.same(texts.a, want, 'operator A got every message, in order')
  t.same(texts.b, want, 'operator B got every message, in order')

  // The backend consumer, which nobody polled, has them all too.
  const pending = await botCall(running.apiRoot, backend.token, 'getUpdates')
  t.same(pending.body.result.map((u: any) => u.message.text), want, "the backend's queue is its own")
  t.same(pending.body.result.map((u: any) => u.update_id), [1, 2, 3], 'update_id counts per consumer')

  const refused = await bots[0]!.api.sendMessage(ALICE.id, 'hello').then(() => undefined, (e: unknown) => e)
  t.ok(refused instanceof GrammyError, 'sendMessage fails')
  t.equal((refused as GrammyError).error_code, 403)
  t.match((refused as GrammyError).description, /^Forbidden: sendMessage needs the TDLib request sendMessage, which the scope of client "ops-a-client" does not allow/)
  const chat = await bots[0]!.api.getChat(ALICE.id)
  t.equal(chat.type, 'private', 'a method within the scope works')

  const sent = await botCall(running.apiRoot, backend.token, 'sendMessage', { chat_id: ALICE.id, text: 'from the backend' })
  t.equal(sent.status, 200, 'the backend may send')
  t.equal(sent.body.result.text, 'from the backend')
  t.equal(sent.body.result.chat.id, ALICE.id)
  t.ok(Number.isInteger(sent.body.result.message_id) && sent.body.result.message_id > 0, 'a Bot API message id')
})

t.test('errors in the Bot API form', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-'), { backend: {} })
  const running = await startGateway(world)
  t.teardown(async () => { await running.stop() })
  const token = world.consumers[0]!.token

  const unknownToken = await botCall(running.apiRoot, wrongToken(token), 'getMe')
  t.same([unknownToken.status, unknownToken.body], [401, { ok: false, error_code: 401, description: 'Unauthorized' }])
  const unknownMethod = await botCall(running.apiRoot, token, 'getNothing')
  t.same([unknownMethod.status, unknownMethod.body], [404, { ok: false, error_code: 404, description: 'Not Found' }])
  const missing = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id })
  t.same([missing.status, missing.body.description], [400, 'Bad Request: parameter "text" is required'])
  const badInt = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: 'alice', text: 'x' })
  t.same([badInt.status, badInt.body.description], [400, 'Bad Request: parameter "chat_id" must be an integer'])
  const badMarkdown = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id, text: '*open', parse_mode: 'MarkdownV2' })
  t.equal(badMarkdown.status, 400)
  t.match(badMarkdown.body.description, /^Bad Request: can't parse entities/)

  const get = await fetch(`${running.apiRoot}/bot${token}/getMe`)
  t.equal(get.status, 200, 'GET works')
  t.equal(((await get.json()) as any).result.id, 7000002)
  const form = await fetch(`${running.apiRoot}/bot${token}/getUpdates`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'limit=0' })
  t.same([form.status, ((await form.json()) as any).description], [400, 'Bad Request: limit must be from 1 to 100'], 'form bodies are read')
  const multipart = await fetch(`${running.apiRoot}/bot${token}/sendMessage`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'not multipart' })
  t.equal(multipart.status, 400)
  t.match(((await multipart.json()) as any).description, /multipart\/form-data body could not be read/)
  const broken = await fetch(`${running.apiRoot}/bot${token}/getMe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
  t.same([broken.status, ((await broken.json()) as any).description], [400, 'Bad Request: the request body is not valid JSON'])
  const huge = await fetch(`${running.apiRoot}/bot${token}/getMe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) }).then(r => r.status, () => 'reset')
  t.ok(huge === 400 || huge === 'reset', 'a body over the limit is refused')
  const badToken = await fetch(`${running.apiRoot}/bot%E0%A4%A/getMe`)
  t.equal(badToken.status, 401, 'a token that is not valid percent-encoding is only unauthorized')
  const nullReply = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: ALICE.id, text: 'x', reply_parameters: null })
  t.same([nullReply.status, nullReply.body.description], [400, 'Bad Request: reply_parameters must be an object'])
  const wrongPath = await fetch(`${running.apiRoot}/notbot/getMe`)
  t.equal(wrongPath.status, 404)
  const after = await botCall(running.apiRoot, token, 'getMe')
  t.equal(after.status, 200, 'the gateway still answers')
})

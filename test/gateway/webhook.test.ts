/**
 * Webhooks: a backend bot (unmodified grammY, webhookCallback behind
 * node:http) answers /start with a keyboard through the webhook's response
 * body and handles the press; while its webhook is down the updates wait,
 * getWebhookInfo shows the error, and they arrive later, in order. URLs
 * outside the consumer's webhook_hosts, and http:// where it is not
 * allowed, are refused.
 */
import http from 'node:http'
import t from 'tap'
import { Bot, InlineKeyboard, webhookCallback } from 'grammy'
import { tempDir } from '../helpers/broker.js'
import { DAVE, INLINE_BOT, answerRecordingServer, botCall, customer, listenOn, prepareWorld, say, startGateway, withGateway, localWebhooks } from './helpers.js'

/** A webhook server: each request's body read whole and parsed as the update it carries. */
function updateServer (handle: (update: Record<string, any>, req: http.IncomingMessage, res: http.ServerResponse) => void): http.Server {
  return http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => { handle(JSON.parse(body), req, res) })
  })
}

t.test('a backend on a webhook, down first, then answering', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-'), { backend: {}, ops: {} })
  const [backend, ops] = world.consumers as [typeof world.consumers[0], typeof world.consumers[0]]
  // Only the backend may have a webhook, and only on 127.0.0.1 over http.
  const running = await startGateway(world, {}, localWebhooks('backend'))
  t.teardown(async () => { await running.stop() })
  const alice = await customer(running, world)
  t.teardown(() => { alice.close() })

  const refusedHost = await botCall(running.apiRoot, backend.token, 'setWebhook', { url: 'http://169.254.169.254/latest' })
  t.same([refusedHost.status, refusedHost.body.description], [400, "Bad Request: bad webhook: host 169.254.169.254 is not in webhook_hosts of this consumer in the broker's settings"])
  const refusedHttp = await botCall(running.apiRoot, ops.token, 'setWebhook', { url: 'http://127.0.0.1:1/hook' })
  t.same([refusedHttp.status, refusedHttp.body.description], [400, 'Bad Request: bad webhook: http:// is not allowed for this consumer (webhook_allow_http)'])

  // A port nobody listens on: the webhook is down.
  const closed = http.createServer()
  const deadPort = await listenOn(closed)
  await new Promise(resolve => closed.close(resolve))
  const set = await botCall(running.apiRoot, backend.token, 'setWebhook', { url: `http://127.0.0.1:${deadPort}/hook` })
  t.same(set.body, { ok: true, result: true })
  const conflict = await botCall(running.apiRoot, backend.token, 'getUpdates')
  t.equal(conflict.status, 409, 'no getUpdates while a webhook is set')
  for (const text of ['first', 'second']) await say(alice, text)
  let info: Record<string, any> = {}
  for (let i = 0; i < 200 && (info.last_error_message === undefined || info.pending_update_count < 2); i++) {
    info = (await botCall(running.apiRoot, backend.token, 'getWebhookInfo')).body.result
    if (info.last_error_message === undefined || info.pending_update_count < 2) await new Promise(resolve => setTimeout(resolve, 25))
  }
  t.equal(info.url, `http://127.0.0.1:${deadPort}/hook`)
  t.equal(info.pending_update_count, 2, 'the updates wait')
  t.match(info.last_error_message, /^Connection failed/)
  t.ok(info.last_error_date > 0)

  // The backend comes up: grammY behind node:http, checking the secret token.
  const texts: string[] = []
  let pressed: (data: string) => void = () => {}
  const pressSeen = new Promise<string>(resolve => { pressed = resolve })
  let secondSeen: () => void = () => {}
  const both = new Promise<void>(resolve => { secondSeen = resolve })
  // sendMessage may go back in the webhook's response body, which the gateway then runs.
  const bot = new Bot(backend.token, { client: { apiRoot: running.apiRoot, canUseWebhookReply: method => method === 'sendMessage' } })
  bot.command('start', async ctx => { await ctx.reply('Choose', { reply_markup: new InlineKeyboard().text('Go', 'go') }) })
  bot.on('message:text', ctx => {
    texts.push(ctx.message.text)
    if (texts.length === 2) secondSeen()
  })
  bot.callbackQuery('go', async ctx => {
    pressed(ctx.callbackQuery.data)
    await ctx.answerCallbackQuery({ text: 'Going' })
  })
  await bot.init()
  const handler = webhookCallback(bot, 'http', { secretToken: 'hook-secret' })
  // What grammY answered the gateway with, to see a method travel in a response body.
  const answered: string[] = []
  const server = answerRecordingServer(handler, answered)
  const port = await listenOn(server)
  t.teardown(async () => { await new Promise(resolve => server.close(resolve)) })
  const live = await botCall(running.apiRoot, backend.token, 'setWebhook', { url: `http://127.0.0.1:${port}/hook`, secret_token: 'hook-secret' })
  t.equal(live.status, 200)
  await both
  t.same(texts, ['first', 'second'], 'the waiting updates arrived, in order')

  await say(alice, '/start')
  const reply = await alice.tcp.waitFor(m => m['@type'] === 'updateNewMessage' && (m.message as any).sender_id.user_id === INLINE_BOT.id, 10_000, 'the reply from the webhook response')
  const message = reply.message as any
  t.equal(message.content.text.text, 'Choose', 'the method in the webhook response ran')
  t.ok(answered.some(body => JSON.parse(body).method === 'sendMessage'), 'grammY sent it in the response body')
  const button = message.reply_markup.rows[0][0]
  const answer = await alice.tcp.request({ '@type': 'getCallbackQueryAnswer', '@session': alice.session, chat_id: alice.chatId, message_id: message.id, payload: { '@type': 'callbackQueryPayloadData', data: button.type.data } })
  t.equal(await pressSeen, 'go')
  t.equal(answer.text, 'Going', 'the press was answered')

  const after = (await botCall(running.apiRoot, backend.token, 'getWebhookInfo')).body.result
  t.equal(after.pending_update_count, 0, 'everything delivered')
  t.notOk('last_error_message' in after, 'no error since the new webhook')
  const removed = await botCall(running.apiRoot, backend.token, 'deleteWebhook')
  t.same(removed.body.result, true)
  const polling = await botCall(running.apiRoot, backend.token, 'getUpdates')
  t.equal(polling.status, 200, 'getUpdates works again')
})

t.test('a webhook and its waiting updates survive a restart', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-'), { backend: {} })
  const token = world.consumers[0]!.token
  const extra = localWebhooks('backend')
  let running = await startGateway(world, {}, extra)
  let alice = await customer(running, world)
  const server = http.createServer()
  const port = await listenOn(server)
  await new Promise(resolve => server.close(resolve))
  t.equal((await botCall(running.apiRoot, token, 'setWebhook', { url: `http://127.0.0.1:${port}/hook` })).status, 200)
  await say(alice, 'before the restart')
  let pending = 0
  for (let i = 0; i < 200 && pending < 1; i++) {
    pending = (await botCall(running.apiRoot, token, 'getWebhookInfo')).body.result.pending_update_count
    if (pending < 1) await new Promise(resolve => setTimeout(resolve, 25))
  }
  t.equal(pending, 1, 'queued while the webhook is down')
  alice.close()
  await running.stop()

  // The webhook comes up on the same address; the restarted broker delivers what waited.
  const bodies: Array<Record<string, any>> = []
  let got: () => void = () => {}
  const delivered = new Promise<void>(resolve => { got = resolve })
  const live = updateServer((update, _req, res) => { bodies.push(update); res.end(); if (bodies.length === 2) got() })
  await new Promise<void>(resolve => { live.listen(port, '127.0.0.1', resolve) })
  t.teardown(async () => { await new Promise(resolve => live.close(resolve)) })
  running = await startGateway(world, {}, extra)
  t.teardown(async () => { await running.stop() })
  alice = await customer(running, world)
  t.teardown(() => { alice.close() })
  await say(alice, 'after the restart')
  await delivered
  t.same(bodies.map(b => [b.update_id, b.message.text]), [[1, 'before the restart'], [2, 'after the restart']], 'in order, none lost, none twice')
  const info = (await botCall(running.apiRoot, token, 'getWebhookInfo')).body.result
  t.same([info.url, info.pending_update_count], [`http://127.0.0.1:${port}/hook`, 0])
})

t.test('a webhook that answers 200 and then sends a body without end: read to 1 MiB at most, and the next update still goes out', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} }, { extra: localWebhooks('backend') })
  const [backend] = world.consumers as [typeof world.consumers[0]]
  const received: string[] = []
  let streamed = 0
  const chunk = Buffer.alloc(64 * 1024, 'x')
  let gotSecond: () => void = () => {}
  const second = new Promise<void>(resolve => { gotSecond = resolve })
  const server = updateServer((update, _req, res) => {
    received.push(String(update.message?.text))
    if (received.length === 1) {
      // The first answer never ends: it streams for as long as the broker reads.
      res.writeHead(200, { 'content-type': 'application/json' })
      const pump = (): void => {
        let more = true
        while (!res.destroyed && more) { more = res.write(chunk); streamed += chunk.length }
        if (!res.destroyed) res.once('drain', pump)
      }
      res.on('close', () => { res.destroy() })
      pump()
      return
    }
    res.writeHead(200).end()
    gotSecond()
  })
  const port = await listenOn(server)
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  t.equal((await botCall(running.apiRoot, backend.token, 'setWebhook', { url: `http://127.0.0.1:${port}/hook` })).status, 200)
  await say(alice, 'one')
  await say(alice, 'two')
  await second
  t.same(received, ['one', 'two'], 'the endless answer did not hold the queue')
  t.ok(streamed > 1024 * 1024, `the server kept writing (${streamed} bytes)`)
  t.ok(streamed < 16 * 1024 * 1024, `until the broker stopped reading past 1 MiB (${streamed} bytes, socket buffers included)`)
})

t.test('a webhook that refuses with 500 is shown by getWebhookInfo, and the same update goes again after the backoff, with its secret token', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} }, { extra: localWebhooks('backend') })
  const [backend] = world.consumers as [typeof world.consumers[0]]
  const seen: Array<{ id: number, text: string, secret: unknown, status: number }> = []
  let gotAnswer: () => void = () => {}
  const answered = new Promise<void>(resolve => { gotAnswer = resolve })
  const server = updateServer((update, req, res) => {
    // The first attempt is refused, with a body the broker must not wait for.
    const status = seen.length === 0 ? 500 : 200
    seen.push({ id: update.update_id, text: update.message?.text, secret: req.headers['x-telegram-bot-api-secret-token'], status })
    if (status === 500) { res.writeHead(500, { 'content-type': 'text/plain' }).end('down for a moment'); return }
    res.writeHead(200).end()
    gotAnswer()
  })
  const port = await listenOn(server)
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  t.equal((await botCall(running.apiRoot, backend.token, 'setWebhook', { url: `http://127.0.0.1:${port}/hook?x=1`, secret_token: 'the-secret' })).status, 200)
  await say(alice, 'retried')
  let info: Record<string, any> = {}
  for (let i = 0; i < 200 && info.last_error_message === undefined; i++) {
    info = (await botCall(running.apiRoot, backend.token, 'getWebhookInfo')).body.result
    if (info.last_error_message === undefined) await new Promise(resolve => setTimeout(resolve, 25))
  }
  t.equal(info.last_error_message, 'Wrong response from the webhook: 500 Internal Server Error')
  t.equal(info.pending_update_count, 1, 'the refused update waits')
  await answered
  t.same(seen.map(s => [s.id, s.text, s.secret, s.status]), [[1, 'retried', 'the-secret', 500], [1, 'retried', 'the-secret', 200]], 'the same update, once refused and once delivered')
  const after = (await botCall(running.apiRoot, backend.token, 'getWebhookInfo')).body.result
  t.equal(after.pending_update_count, 0)
})

t.test('up to max_connections deliveries at once, one at a time per chat: a slow answer for one chat does not hold the others', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} }, { extra: localWebhooks('backend') })
  const [backend] = world.consumers as [typeof world.consumers[0]]
  const dave = await customer(running, world, DAVE)
  t.teardown(() => { dave.close() })
  const arrived: string[] = []
  let release: () => void = () => {}
  const held = new Promise<void>(resolve => { release = resolve })
  let changed: () => void = () => {}
  const server = updateServer((update, _req, res) => {
    const text = String(update.message?.text)
    arrived.push(text)
    changed()
    // Alice's first update is answered only when the test says so.
    if (text === 'a1') void held.then(() => { res.writeHead(200).end() })
    else res.writeHead(200).end()
  })
  const port = await listenOn(server)
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  const waitFor = async (pred: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 10_000
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (arrived: ${arrived.join(', ')})`)
      await new Promise<void>(resolve => { changed = resolve; setTimeout(resolve, 50) })
    }
  }
  t.equal((await botCall(running.apiRoot, backend.token, 'setWebhook', { url: `http://127.0.0.1:${port}/hook`, max_connections: 2 })).status, 200)
  await say(alice, 'a1')
  await waitFor(() => arrived.includes('a1'), 'a1')
  await say(alice, 'a2')
  for (const text of ['b1', 'b2', 'b3']) await say(dave, text)
  await waitFor(() => arrived.includes('b3'), "Dave's updates")
  t.same(arrived, ['a1', 'b1', 'b2', 'b3'], "Dave's chat goes on while Alice's first update waits; her second waits behind it")
  const info = (await botCall(running.apiRoot, backend.token, 'getWebhookInfo')).body.result
  t.same([info.pending_update_count, info.max_connections], [2, 2], 'a1 on its way and a2 behind it are pending')
  release()
  await waitFor(() => arrived.includes('a2'), 'a2')
  t.same(arrived, ['a1', 'b1', 'b2', 'b3', 'a2'], 'a2 after a1 was answered')
  let pending = -1
  for (let i = 0; i < 200 && pending !== 0; i++) {
    pending = (await botCall(running.apiRoot, backend.token, 'getWebhookInfo')).body.result.pending_update_count
    if (pending !== 0) await new Promise(resolve => setTimeout(resolve, 25))
  }
  t.equal(pending, 0, 'everything delivered')
})

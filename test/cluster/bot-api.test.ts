/**
 * The Bot API gateway on a cluster node that does not own the bot session:
 * its consumer's updates come over the session's JetStream stream, its
 * sendMessage is forwarded to the owner and answered with the sent message
 * (TDLib's confirmation comes over the stream too); an uploaded file is
 * written on the owner. When the owner is
 * drained and the session moves to the gateway's own node, the consumer
 * goes on getting updates, numbered on.
 */
import t from 'tap'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashClientKey } from '../../src/clients/key-hash.js'
import { UPLOAD_FOLDER } from '../../src/files/uploads.js'
import { newBotToken } from '../../src/gateway/tokens.js'
import { tempDir } from '../helpers/broker.js'
import { CLI, ROOT, runCommand } from '../helpers/cli.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { TEST_SCRYPT } from '../helpers/clients.js'
import { INLINE_BOT } from '../resolve/helpers.js'
import { botCall } from '../gateway/helpers.js'
import { authState, freshPrefix, login, REQUESTS, startNode, until, UPDATES } from './helpers.js'

const ownerOf = (x: { broker: { registry: { get(id: string): unknown } } }, id: string): string | undefined => (x.broker.registry.get(id) as { owner?: string } | undefined)?.owner

const raw = {
  allowed_requests: [...REQUESTS, 'checkAuthenticationBotToken', 'searchPublicChat', 'getUser', 'getChat', 'getMessage'],
  allowed_updates: UPDATES
}

t.test('a gateway on another node than the bot session\'s owner', async t => {
  const prefix = freshPrefix()
  const a = await startNode(prefix, 'a', { raw })
  t.teardown(async () => { await a.stop() })
  const ca = await TestClient.connect(a.port)
  t.teardown(() => { ca.close() })
  const bot = await ca.createSession()
  await ca.waitFor(authState(bot, 'authorizationStateWaitPhoneNumber'), 30_000)
  t.equal((await ca.request({ '@type': 'checkAuthenticationBotToken', token: INLINE_BOT.token, '@session': bot }, 30_000))['@type'], 'ok', 'the bot logs in on node a')
  await ca.waitFor(authState(bot, 'authorizationStateReady'), 30_000)
  const alice = await ca.createSession()
  await login(ca, alice)

  const token = newBotToken(INLINE_BOT.id)
  const consumer = { name: 'backend', bot_id: INLINE_BOT.id, session: bot, client: 'backend-client', token_hash: await hashClientKey(token, TEST_SCRYPT) }
  const b = await startNode(prefix, 'b', {
    raw: { ...raw, clients: [{ name: 'backend-client', key_hash: await hashClientKey('unused-key-of-backend-client', TEST_SCRYPT), scope: {} }], bot_api: { host: '127.0.0.1', port: 0, consumers: [consumer] } }
  })
  t.teardown(async () => { await b.stop() })
  const apiRoot = `http://127.0.0.1:${b.broker.addresses.bot_api!.port}`
  t.equal((a.broker.registry as unknown as { node: { leaseHolder(id: string): string | undefined } }).node.leaseHolder(bot), 'a', 'node a still runs the bot session')

  const chat = await ca.request({ '@type': 'searchPublicChat', username: INLINE_BOT.username, '@session': alice }, 30_000)
  t.equal(chat['@type'], 'chat')
  const polled = botCall(apiRoot, token, 'getUpdates', { timeout: 20 })
  // The gateway on b may attach to the stream just after the first getUpdates; say it until it is heard.
  const say = async (text: string): Promise<Msg> => await ca.request({
    '@type': 'sendMessage', chat_id: chat.id, '@session': alice,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } }
  }, 30_000)
  t.equal((await say('hello over the cluster'))['@type'], 'message')
  const got = (await polled).body
  t.same(got.result?.map((u: any) => u.message?.text), ['hello over the cluster'], `node b's consumer gets the message (${JSON.stringify(got).slice(0, 200)})`)
  const from = got.result[0].message.chat.id
  const sent = await botCall(apiRoot, token, 'sendMessage', { chat_id: from, text: 'answered through node b' })
  t.equal(sent.status, 200, `sendMessage through node b (${JSON.stringify(sent.body).slice(0, 200)})`)
  t.equal(sent.body.result?.text, 'answered through node b')
  await until(() => ca.received.some(m => m['@type'] === 'updateNewMessage' && m['@session'] === alice && ((m.message as Msg).content as Msg)?.['@type'] === 'messageText' && (((m.message as Msg).content as Msg).text as Msg)?.text === 'answered through node b'), 15_000, 'Alice to get the answer')

  // A file uploaded to node b's gateway is written where the session runs (node a) and sent from there.
  const form = new FormData()
  form.append('chat_id', String(from))
  form.append('document', new Blob([Buffer.from('a report over the cluster')]), 'report.txt')
  const doc = await (await fetch(`${apiRoot}/bot${token}/sendDocument`, { method: 'POST', body: form, signal: AbortSignal.timeout(20_000) })).json() as any
  t.equal(doc.ok, true, `sendDocument through node b (${JSON.stringify(doc).slice(0, 200)})`)
  t.same([doc.result?.document?.file_name, doc.result?.document?.file_size], ['report.txt', 25])
  const onOwner = join(a.settings.tdlib.path, bot, UPLOAD_FOLDER)
  t.equal(existsSync(onOwner) ? readdirSync(onOwner).length : 0, 1, 'the upload was written in the session\'s folder on node a')
  t.notOk(existsSync(join(process.cwd(), UPLOAD_FOLDER)), 'not relative to the working folder')
  // Larger than the NATS server's max_payload (1 MB): it cannot cross, and says so.
  const big = new FormData()
  big.append('chat_id', String(from))
  big.append('document', new Blob([Buffer.alloc(1536 * 1024, 1)]), 'big.bin')
  const refused = await fetch(`${apiRoot}/bot${token}/sendDocument`, { method: 'POST', body: big, signal: AbortSignal.timeout(20_000) })
  const refusal = await refused.json() as any
  t.equal(refused.status, 400, 'a file past max_payload is refused as a bad request')
  t.match(refusal.description, /^Bad Request: UPLOAD_TOO_LARGE: the file is 1572864 bytes, and node a, which runs session \d+, is reached over NATS, whose max_payload is \d+ bytes/, refusal.description)

  // Node a is drained: both sessions move to node b, the gateway's own node.
  const dir = tempDir()
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ tdlib: { backend: 'sandbox' }, cluster: { node: 'operator', prefix } }))
  const out = await runCommand(process.execPath, [CLI, 'drain', 'a', '--settings', join(dir, 'settings.json')], ROOT, 90_000)
  t.match(out, /^node a drained: 2 sessions moved/m, 'tdbroker drain moves both sessions')
  await until(() => ownerOf(b, bot) === 'b' && ownerOf(b, alice) === 'b', 30_000, 'node b to run both sessions')
  const again = botCall(apiRoot, token, 'getUpdates', { offset: Number(got.result[0].update_id) + 1, timeout: 20 })
  const after = await ca.request({
    '@type': 'sendMessage', chat_id: chat.id, '@session': alice,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'after the drain', entities: [] } }
  }, 30_000)
  t.equal(after['@type'], 'message', 'Alice writes (through node a, to the session now on node b)')
  const later = (await again).body
  t.same(later.result?.map((u: any) => [u.update_id, u.message?.text]), [[Number(got.result[0].update_id) + 1, 'after the drain']], `the consumer hears it, numbered on (${JSON.stringify(later).slice(0, 200)})`)
  t.ok(existsSync(join(b.settings.tdlib.path, bot, 'bot-api', 'queues.log')), "the consumer's queue is kept in the session's folder on node b, the gateway's node")
  t.notOk(existsSync(join(process.cwd(), 'bot-api')), 'not relative to the working folder')
})

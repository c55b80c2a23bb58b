/**
 * Bot API gateway tests: a sandbox broker holding the inline bot's session,
 * Bot API consumers of it with tokens of their own, and a customer (Alice)
 * driven through the broker's TDLib protocol.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { hashClientKey } from '../../src/clients/key-hash.js'
import { newBotToken } from '../../src/gateway/tokens.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { createSandboxBackend, type SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { connectAs, keyClient, TEST_SCRYPT, testKey, type TestKey } from '../helpers/clients.js'
import { LogSink } from '../helpers/log-sink.js'
import { ALICE, DAVE, INLINE_BOT, loginBot, loginUser } from '../resolve/helpers.js'

export { ALICE, DAVE, INLINE_BOT }

export const REQUESTS = [
  'getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationBotToken',
  'getMe', 'getUser', 'getChat', 'getSupergroup', 'getMessage', 'searchPublicChat', 'createPrivateChat', 'addChatMember',
  'sendMessage', 'editMessageText', 'editMessageReplyMarkup', 'deleteMessages', 'forwardMessages', 'answerCallbackQuery', 'getCallbackQueryAnswer',
  'getChatMember', 'getBasicGroup', 'getBasicGroupFullInfo', 'getSupergroupFullInfo', 'getSupergroupMembers', 'banChatMember', 'setChatMemberStatus',
  'createChatInviteLink', 'checkChatInviteLink', 'joinChatByInviteLink', 'leaveChat', 'sendChatAction', 'setCommands', 'getCommands', 'deleteCommands',
  'answerInlineQuery', 'getInlineQueryResults', 'sendInlineQueryResultMessage', 'createNewSupergroupChat', 'createNewBasicGroupChat',
  'downloadFile', 'readFilePart'
]
const UPDATES = ['updateNewMessage', 'updateMessageEdited', 'updateNewCallbackQuery', 'updateUser', 'updateNewChat', 'updateMessageSendSucceeded', 'updateMessageContent', 'updateDeleteMessages',
  'updateNewInlineQuery', 'updateNewChosenInlineResult', 'updateChatMember', 'updateChatAction', 'updateSupergroup', 'updateBasicGroup']

/** A consumer as a test knows it: its name, client and token. */
export interface TestConsumer { name: string, client: string, token: string }

export interface GatewayWorld {
  dir: string
  botSession: string
  consumers: TestConsumer[]
  customerKey: TestKey
  clients: Array<Record<string, unknown>>
}

export interface RunningGateway {
  broker: Broker
  port: number
  apiRoot: string
  logs: LogSink
  /** The emulated Telegram's faults (FLOOD_WAIT on demand). */
  faults: SandboxBackend['faults']
  stop(): Promise<void>
}

function raw (dir: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    host: '127.0.0.1', port: 0, terminate_delay: 0,
    tdlib: { api_id: 94575, api_hash: 'API_HASH', path: 'sessions', backend: 'sandbox' },
    allowed_requests: REQUESTS, allowed_updates: UPDATES,
    ...extra
  }
}

async function start (dir: string, settings: Record<string, unknown>): Promise<RunningGateway> {
  const logs = new LogSink()
  const sandbox = createSandboxBackend()
  const broker = new Broker({ settings: settingsFromObject(raw(dir, settings), dir), backend: sandbox, logger: pino({ level: 'debug' }, logs) })
  await broker.start()
  const port = broker.addresses.bot_api?.port ?? 0
  return { broker, port, apiRoot: `http://127.0.0.1:${port}`, logs, faults: sandbox.faults, stop: async () => { await broker.stop('test over') } }
}

/**
 * Logs the inline bot in (in a broker without a gateway, as an operator
 * would before issuing tokens), then makes a token per consumer. `scopes`
 * gives each consumer's client scope.
 */
export async function prepareWorld (dir: string, scopes: Record<string, Record<string, unknown>>): Promise<GatewayWorld> {
  const customerKey = await testKey()
  const setup = await start(dir, {})
  let botSession: string
  try {
    const tcp = await TestClient.connect(setup.broker.addresses.tcp!.port)
    botSession = await loginBot(tcp, INLINE_BOT.token)
    tcp.close()
  } finally {
    await setup.stop()
  }
  const consumers: TestConsumer[] = []
  const clients: Array<Record<string, unknown>> = [keyClient('customer', customerKey)]
  for (const [name, scope] of Object.entries(scopes)) {
    consumers.push({ name, client: `${name}-client`, token: newBotToken(INLINE_BOT.id) })
    clients.push(keyClient(`${name}-client`, await testKey(), scope))
  }
  return { dir, botSession, consumers, customerKey, clients }
}

/**
 * Starts a broker (a fresh sandbox, as after a process restart) with the
 * gateway and the world's consumers; `top` adds top-level settings (e.g. tls).
 */
export async function startGateway (world: GatewayWorld, botApi: Record<string, unknown> = {}, extra: Record<string, Record<string, unknown>> = {}, top: Record<string, unknown> = {}): Promise<RunningGateway> {
  const consumers = await Promise.all(world.consumers.map(async c => ({
    name: c.name, bot_id: INLINE_BOT.id, session: world.botSession, client: c.client, token_hash: await hashClientKey(c.token, TEST_SCRYPT), ...extra[c.name]
  })))
  return await start(world.dir, { ...top, clients: world.clients, bot_api: { host: '127.0.0.1', port: 0, consumers, ...botApi } })
}

/** Alice (or another sandbox user), logged in over the TDLib protocol, with the bot's private chat open. */
export interface Customer { tcp: TestClient, session: string, chatId: number, close(): void }

export async function customer (running: RunningGateway, world: GatewayWorld, who: { phone: string, code?: string } = ALICE): Promise<Customer> {
  const tcp = await connectAs(running.broker.addresses.tcp!.port, 'customer', world.customerKey)
  const session = await loginUser(tcp, who.phone, who.code)
  const chat = await tcp.request({ '@type': 'searchPublicChat', username: INLINE_BOT.username, '@session': session })
  if (chat['@type'] !== 'chat') throw new Error(`searchPublicChat: ${JSON.stringify(chat)}`)
  return { tcp, session, chatId: Number(chat.id), close: () => { tcp.close() } }
}

/** Sends a text message as the customer; resolves with TDLib's answer. */
export async function say (c: Customer, text: string): Promise<Msg> {
  return await c.tcp.request({
    '@type': 'sendMessage', chat_id: c.chatId, '@session': c.session,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } }
  })
}

/** A Bot API call over plain HTTP (for what a framework hides: status codes, raw updates). */
export async function botCall (apiRoot: string, token: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number, body: Record<string, any> }> {
  const res = await fetch(`${apiRoot}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params), signal: AbortSignal.timeout(20_000) })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

/** Resolves when `pred` holds, checking every 20 ms; rejects after `ms`. */
export async function until (pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** What `withGateway` sets up for one test. */
export interface GatewayFixture {
  world: GatewayWorld
  running: RunningGateway
  alice: Customer
  /** Each consumer's token by its name. */
  tokens: Record<string, string>
}

/** Options of `withGateway`: startGateway's arguments, and whether Alice logs in. */
export interface FixtureOptions {
  botApi?: Record<string, unknown>
  extra?: Record<string, Record<string, unknown>>
  top?: Record<string, unknown>
}

/**
 * The setup most gateway tests share: a world with these consumers' scopes in
 * a temporary folder of its own, a running gateway, and Alice with the bot's
 * chat open; all of it torn down when `t` ends.
 */
export async function withGateway (t: Test, scopes: Record<string, Record<string, unknown>>, options: FixtureOptions = {}): Promise<GatewayFixture> {
  const world = await prepareWorld(tempDir('tdbroker-gw-'), scopes)
  const running = await startGateway(world, options.botApi, options.extra, options.top)
  t.teardown(async () => { await running.stop() })
  const alice = await customer(running, world)
  t.teardown(() => { alice.close() })
  return { world, running, alice, tokens: Object.fromEntries(world.consumers.map(c => [c.name, c.token])) }
}

/**
 * An HTTP server for a framework's webhook handler that also records every
 * response body the handler wrote, to see a method travel back to the
 * gateway in a webhook's answer.
 */
export function answerRecordingServer (handler: (req: http.IncomingMessage, res: http.ServerResponse) => unknown, answered: string[]): http.Server {
  return http.createServer((req, res) => {
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse
    res.end = ((...args: unknown[]) => {
      if (typeof args[0] === 'string' || Buffer.isBuffer(args[0])) answered.push(String(args[0]))
      return end(...args)
    }) as typeof res.end
    void handler(req, res)
  })
}

/** Listens on a free port of 127.0.0.1; resolves with the port. */
export async function listenOn (server: http.Server): Promise<number> {
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  return (server.address() as AddressInfo).port
}

/** A message the bot sent in Alice's chats (the first one `pred` accepts), as TDLib gives it to her. */
export async function botMessage (alice: Customer, what = "the bot's message", pred: (message: any) => boolean = () => true): Promise<any> {
  const update = await alice.tcp.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === alice.session &&
    (m.message as any).sender_id.user_id === INLINE_BOT.id && pred(m.message), 10_000, what)
  return update.message
}

/** Alice presses the first button of a bot's message (TDLib's form); resolves with the bot's answer. */
export async function press (alice: Customer, message: any): Promise<Msg> {
  const button = message.reply_markup.rows[0][0]
  return await alice.tcp.request({
    '@type': 'getCallbackQueryAnswer', '@session': alice.session, chat_id: message.chat_id, message_id: message.id,
    payload: { '@type': 'callbackQueryPayloadData', data: button.type.data }
  })
}

/** The token with the first character of its secret changed: always a different, wrong token (a fixed replacement was the token itself when the secret began with it). */
export function wrongToken (token: string): string {
  return token.replace(/:(.)/, (_, c: string) => `:${c === 'X' ? 'Y' : 'X'}`)
}

/** Consumer settings letting these consumers' webhooks reach a local plain-HTTP server (startGateway's or withGateway's `extra`). */
export function localWebhooks (...names: string[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(names.map(name => [name, { webhook_hosts: ['127.0.0.1'], webhook_allow_http: true }]))
}

/** A framework's bot on long polling, started by the scenario below. */
export interface PollingBot {
  /** The id getMe answered the framework with. */
  readonly botId: number | undefined
  /** What the framework's error handler caught. */
  readonly errors: unknown[]
  stop(): Promise<void>
}

/**
 * The long-polling scenario every framework test runs: `launch` starts the
 * framework's bot with the consumer's token and API root, its text handler
 * calling `heard` and answering `echo: <text>`, and resolves once the bot
 * polls. Alice writes; the bot must hear it, and Alice must get the echo.
 */
export async function pollingEcho (t: Test, text: string, launch: (token: string, apiRoot: string, heard: (text: string) => void) => Promise<PollingBot>): Promise<void> {
  const { running, alice, tokens } = await withGateway(t, { ops: {} })
  let heard: (text: string) => void = () => {}
  const seen = new Promise<string>(resolve => { heard = resolve })
  const bot = await launch(tokens.ops!, running.apiRoot, got => { heard(got) })
  t.teardown(async () => { await bot.stop() })
  t.equal(bot.botId, INLINE_BOT.id, 'getMe answered')
  await say(alice, text)
  t.equal(await seen, text, 'the message reached the bot')
  const reply = await botMessage(alice, 'the reply')
  t.equal(reply.content.text.text, `echo: ${text}`, 'the reply reached the customer')
  t.same(bot.errors, [], 'no handler failed')
}

/** A framework's bot behind its own webhook server, set up for the scenario below. */
export interface WebhookBot {
  /** The framework's webhook server (not listening yet), serving path /hook with secret "hook-secret". */
  readonly server: http.Server
  readonly errors: unknown[]
  /** setWebhook through the framework. */
  setWebhook(url: string, secretToken: string): Promise<boolean>
}

/**
 * The webhook scenario every framework test runs: `setup` makes the bot,
 * which answers /start with "Choose" and one callback button "Go" (data
 * "go"), and answers its press with "Going", calling `pressed`. Its webhook
 * server listens here; the customer presses; getWebhookInfo shows nothing
 * pending. Resolves once all that was checked.
 */
export async function webhookButton (t: Test, setup: (token: string, apiRoot: string, pressed: (data: string | undefined) => void) => Promise<WebhookBot>): Promise<void> {
  const { running, alice, tokens } = await withGateway(t, { backend: {} }, { extra: localWebhooks('backend') })
  let pressed: (data: string | undefined) => void = () => {}
  const pressSeen = new Promise<string | undefined>(resolve => { pressed = resolve })
  const bot = await setup(tokens.backend!, running.apiRoot, data => { pressed(data) })
  const port = await listenOn(bot.server)
  t.teardown(async () => { bot.server.closeAllConnections(); await new Promise(resolve => bot.server.close(resolve)) })
  t.equal(await bot.setWebhook(`http://127.0.0.1:${port}/hook`, 'hook-secret'), true, 'setWebhook')

  await say(alice, '/start')
  const message = await botMessage(alice, 'the keyboard')
  t.equal(message.content.text.text, 'Choose')
  const answer = await press(alice, message)
  t.equal(await pressSeen, 'go', 'the press reached the webhook')
  t.equal(answer.text, 'Going', 'the customer sees the answer')
  const info = (await botCall(running.apiRoot, tokens.backend!, 'getWebhookInfo')).body.result
  t.same([info.url, info.pending_update_count], [`http://127.0.0.1:${port}/hook`, 0], 'nothing left pending')
  t.same(bot.errors, [], 'no handler failed')
}

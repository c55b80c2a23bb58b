/**
 * A broker on the sandbox (the payments world in fixtures/world.json) with
 * the Bot API gateway: the messenger bot's session, the account's session,
 * a backend consumer allowed a webhook on 127.0.0.1, and two operators'
 * read-only consumers. The people (customers, operators' own accounts) are
 * sessions driven through @tdbroker/client.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { connect, login, type BrokerClient, type BrokerSession, type Update } from '@tdbroker/client'
import { Broker } from '../../../src/broker.js'
import { hashClientKey, newClientKey } from '../../../src/clients/key-hash.js'
import { newBotToken } from '../../../src/gateway/tokens.js'
import { settingsFromObject } from '../../../src/settings/load.js'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import { configFromObject, type PaymentsConfig } from '../src/config.js'

const here = dirname(fileURLToPath(import.meta.url))
export const WORLD_FILE = resolve(here, 'fixtures/world.json')

export const BOT = { id: 7000101, username: 'payments_sandbox_bot', token: '7000101:sandbox-payments-bot-token' }
export const PEOPLE = {
  account: { id: 1000101, phone: '15550001101' },
  olga: { id: 1000102, phone: '15550001102' },
  oscar: { id: 1000103, phone: '15550001103' },
  alice: { id: 1000104, phone: '15550001104' },
  chris: { id: 1000105, phone: '15550001105' }
} as const

/** What the app, the people and the operators' feeds may ask (the operators' own scope is narrower still). */
const REQUESTS = [
  'getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationBotToken',
  'getMe', 'getUser', 'getChat', 'getSupergroup', 'getMessage', 'searchPublicChat', 'sendMessage', 'editMessageText', 'editMessageReplyMarkup',
  'deleteMessages', 'answerCallbackQuery', 'getCallbackQueryAnswer', 'getChatMember', 'banChatMember', 'setChatMemberStatus', 'addChatMember',
  'createNewSupergroupChat', 'createChatInviteLink', 'checkChatInviteLink', 'joinChatByInviteLink', 'getSupergroupFullInfo'
]
const UPDATES = ['updateNewMessage', 'updateMessageEdited', 'updateMessageSendSucceeded', 'updateMessageSendFailed', 'updateNewCallbackQuery', 'updateUser', 'updateNewChat',
  'updateChatMember', 'updateSupergroup', 'updateBasicGroup', 'updateMessageContent', 'updateDeleteMessages']
/** The scope docs/bot-api.md gives a read-only operator: it may read, never send, delete or ban. */
export const OPERATOR_SCOPE = { allowed_requests: ['getMe', 'getChat', 'getUser'] }
const SCRYPT = { N: 1024, r: 8, p: 1 }

interface Key { name: string, key: string, hash: string }
async function key (name: string): Promise<Key> {
  const k = newClientKey()
  return { name, key: k, hash: await hashClientKey(k, SCRYPT) }
}

export interface PaymentsWorld {
  dir: string
  broker: Broker
  port: number
  apiRoot: string
  /** The app's client key (the account's session is reached with it). */
  appKey: Key
  accountSession: string
  /** Bot API tokens: the backend's, and one per operator. */
  tokens: { backend: string, olga: string, oscar: string }
  /** The people's own connection (customers, operators' Telegram accounts). */
  people: BrokerClient
  /** The app's settings for this world (webhook on a free port, state in the world's folder). */
  config(over?: Record<string, unknown>): Readonly<PaymentsConfig>
  stop(): Promise<void>
}

function brokerSettings (dir: string, clients: Key[], extra: Record<string, unknown>): Record<string, unknown> {
  return {
    host: '127.0.0.1', port: 0, terminate_delay: 0,
    tdlib: { api_id: 94575, api_hash: 'API_HASH', path: 'sessions', backend: 'sandbox', sandbox_world: WORLD_FILE },
    allowed_requests: REQUESTS, allowed_updates: UPDATES,
    clients: clients.map(c => ({ name: c.name, key_hash: c.hash, scope: c.name === 'operators' ? OPERATOR_SCOPE : {} })),
    ...extra
  }
}

async function startBroker (dir: string, raw: Record<string, unknown>): Promise<Broker> {
  const broker = new Broker({ settings: settingsFromObject(raw, dir), backend: createSandboxBackend({ world: WORLD_FILE }), logger: pino({ level: 'silent' }) })
  await broker.start()
  return broker
}

/**
 * Logs the bot and the account in on a broker without a gateway (as an
 * operator does before issuing tokens), then starts the broker again with the
 * gateway and the consumers, as docs/bot-api.md describes.
 */
export async function startPaymentsWorld (): Promise<PaymentsWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-payments-'))
  const keys = { app: await key('payments-app'), backend: await key('backend'), operators: await key('operators'), people: await key('people') }
  const clients = Object.values(keys)
  const setup = await startBroker(dir, brokerSettings(dir, clients, {}))
  let botSession: string
  let accountSession: string
  try {
    const c = await connect({ url: `tcp://127.0.0.1:${setup.addresses.tcp!.port}`, auth: { name: keys.app.name, key: keys.app.key } })
    const bot = await c.createSession()
    await login(bot, { type: 'bot', getToken: () => BOT.token })
    const account = await c.createSession()
    await login(account, { getPhoneNumber: () => PEOPLE.account.phone, getAuthCode: () => '12345' })
    botSession = bot.id
    accountSession = account.id
    c.close()
  } finally {
    await setup.stop('setup over')
  }
  const tokens = { backend: newBotToken(BOT.id), olga: newBotToken(BOT.id), oscar: newBotToken(BOT.id) }
  const consumer = async (name: string, client: string, token: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
    ({ name, bot_id: BOT.id, session: botSession, client, token_hash: await hashClientKey(token, SCRYPT), ...extra })
  const consumers = [
    await consumer('backend', 'backend', tokens.backend, { webhook_hosts: ['127.0.0.1'], webhook_allow_http: true }),
    await consumer('ops-olga', 'operators', tokens.olga),
    await consumer('ops-oscar', 'operators', tokens.oscar)
  ]
  const broker = await startBroker(dir, brokerSettings(dir, clients, { bot_api: { host: '127.0.0.1', port: 0, consumers } }))
  const port = broker.addresses.tcp!.port
  const apiRoot = `http://127.0.0.1:${broker.addresses.bot_api!.port}`
  const people = await connect({ url: `tcp://127.0.0.1:${port}`, auth: { name: keys.people.name, key: keys.people.key } })
  return {
    dir, broker, port, apiRoot, appKey: keys.app, accountSession, tokens, people,
    config: (over = {}) => configFromObject({
      broker: { url: `tcp://127.0.0.1:${port}`, client: keys.app.name },
      account_session: accountSession,
      bot_api: { api_root: apiRoot },
      webhook: { host: '127.0.0.1', port: 0, path: '/payments-hook' },
      operators: [{ name: 'Olga', user_id: PEOPLE.olga.id }, { name: 'Oscar', user_id: PEOPLE.oscar.id }],
      state_file: 'payments-state.json',
      ...over
    }, { PAYMENTS_BROKER_KEY: keys.app.key, PAYMENTS_BOT_TOKEN: tokens.backend, PAYMENTS_WEBHOOK_SECRET: 'hook-secret' }, dir),
    async stop () {
      people.close()
      await broker.stop('test over')
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

type Message = Extract<Update, { '@type': 'updateNewMessage' }>['message']

/** A person of the world, logged in: what the bot sends them, in order, with bounded waits. */
export class Person {
  readonly received: Message[] = []
  private wake: (() => void) | undefined

  private constructor (readonly session: BrokerSession, readonly id: number) {
    session.on('update', u => {
      if (u['@type'] === 'updateNewMessage' && u.message.sender_id['@type'] === 'messageSenderUser' && u.message.sender_id.user_id === BOT.id) this.received.push(u.message)
      this.wake?.()
    })
  }

  static async login (w: PaymentsWorld, who: keyof typeof PEOPLE): Promise<Person> {
    const session = await w.people.createSession()
    await login(session, { getPhoneNumber: () => PEOPLE[who].phone, getAuthCode: () => '12345' })
    await session.invoke({ '@type': 'searchPublicChat', username: BOT.username })
    return new Person(session, PEOPLE[who].id)
  }

  async say (chatId: number, text: string): Promise<number> {
    const sent = await this.session.invoke({ '@type': 'sendMessage', chat_id: chatId, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } } })
    return sent.id
  }

  /** Presses an inline button; resolves with the bot's answer text. */
  async press (chatId: number, messageId: number, data: string): Promise<string> {
    const answer = await this.session.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: chatId, message_id: messageId, payload: { '@type': 'callbackQueryPayloadData', data: Buffer.from(data).toString('base64') } })
    return answer.text
  }

  /** The first message from the bot (in `chatId`) whose text matches, waiting up to `ms`. */
  async fromBot (chatId: number, pattern: RegExp, ms = 15_000): Promise<Message> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.received.find(m => m.chat_id === chatId && m.content['@type'] === 'messageText' && pattern.test(m.content.text.text))
      if (found !== undefined) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`user ${this.id}: no message from the bot in ${chatId} matching ${String(pattern)} within ${ms} ms; got ${JSON.stringify(this.received.map(m => m.content['@type'] === 'messageText' ? m.content.text.text : m.content['@type']))}`)
      await new Promise<void>(resolve => { const t = setTimeout(resolve, Math.min(left, 500)); this.wake = () => { clearTimeout(t); resolve() } })
    }
  }
}

/** The text of a message (TDLib form), or ''. */
export function textOf (m: Message): string {
  return m.content['@type'] === 'messageText' ? m.content.text.text : ''
}

/** The buttons of a message's inline keyboard, as [label, callback data or URL]. */
export function buttonsOf (m: Message): Array<[string, string]> {
  if (m.reply_markup?.['@type'] !== 'replyMarkupInlineKeyboard') return []
  return m.reply_markup.rows.flat().map(b => [b.text,
    b.type['@type'] === 'inlineKeyboardButtonTypeUrl' ? b.type.url
      : b.type['@type'] === 'inlineKeyboardButtonTypeCallback' ? Buffer.from(b.type.data, 'base64').toString() : ''])
}

/** `promise`, or a rejection after `ms` saying what did not happen. */
export async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: nothing within ${ms} ms`)) }, ms) })
  try { return await Promise.race([promise, timeout]) } finally { clearTimeout(timer) }
}

/** Resolves when `pred` holds, checking every 20 ms; rejects after `ms`. */
export async function until (pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

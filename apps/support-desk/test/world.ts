/**
 * A broker on the sandbox for the desk's tests and its measurement: the Echo
 * Bot as the desk's bot, staff accounts (each logged in twice: the session
 * the desk holds, and the staff member's own "phone" the test reads and
 * writes with), and customers. Every wait is bounded.
 */
import { connect, login, type BrokerClient, type BrokerSession, type Update } from '@tdbroker/client'
import { startBroker, tempDir, type TestBroker } from '../../../test/helpers/broker.js'
import type { SandboxBackend } from '../../../src/tdlib/sandbox/sandbox-backend.js'
import type { DepartmentId } from '../src/departments.js'

export const BOT_ID = 7000001
export const BOT_TOKEN = '7000001:sandbox-echo-bot-token'
export const BOT_USERNAME = 'echo_sandbox_bot'

/** What the desk needs the broker to allow (README.md, "The broker"). */
export const DESK_REQUESTS = [
  'getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'checkAuthenticationBotToken',
  'getMe', 'getUser', 'getChatHistory', 'searchPublicChat', 'sendMessage', 'editMessageText', 'getMessage', 'deleteMessages',
  'answerCallbackQuery', 'getCallbackQueryAnswer', 'parseTextEntities', 'setCommands', 'getChatAdministrators', 'sendChatAction'
]
export const DESK_UPDATES = [
  'updateNewMessage', 'updateMessageSendSucceeded', 'updateMessageSendFailed', 'updateNewCallbackQuery', 'updateChatAction',
  'updateUser', 'updateNewChat'
]

export type Message = Extract<Update, { '@type': 'updateNewMessage' }>['message']

/** One account's view of its chat with the bot: what the bot sent, and the bot's typing, collected as they come. */
export class Phone {
  readonly fromBot: Array<{ message: Message, at: number }> = []
  botTyping = 0
  private wake: Array<() => void> = []

  constructor (readonly session: BrokerSession, readonly userId: number) {
    session.on('update', u => {
      if (u['@type'] === 'updateNewMessage' && u.message.chat_id === BOT_ID && !u.message.is_outgoing) this.fromBot.push({ message: u.message, at: performance.now() })
      else if (u['@type'] === 'updateChatAction' && u.chat_id === BOT_ID && u.action['@type'] === 'chatActionTyping') this.botTyping++
      else return
      for (const w of this.wake.splice(0)) w()
    })
  }

  texts (): string[] { return this.fromBot.map(m => textOf(m.message)) }

  async say (text: string, replyTo?: number): Promise<void> {
    await this.session.invoke({
      '@type': 'sendMessage', chat_id: BOT_ID,
      ...(replyTo === undefined ? {} : { reply_to: { '@type': 'inputMessageReplyToMessage', message_id: replyTo } }),
      input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } }
    })
  }

  async press (messageId: number, id: string): Promise<string> {
    const a = await this.session.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: BOT_ID, message_id: messageId, payload: { '@type': 'callbackQueryPayloadData', data: Buffer.from(id).toString('base64') } })
    return a.text
  }

  async typing (): Promise<void> {
    await this.session.invoke({ '@type': 'sendChatAction', chat_id: BOT_ID, action: { '@type': 'chatActionTyping' } })
  }

  /** The first message from the bot whose text includes `part` (received since `from`, an index into fromBot). */
  async waitFor (part: string, timeoutMs = 20_000, from = 0): Promise<Message> {
    return await this.until(() => this.fromBot.slice(from).find(m => textOf(m.message).includes(part))?.message, timeoutMs, `a message with "${part}"`)
  }

  async until<T> (check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const v = check()
      if (v !== undefined) return v
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`user ${this.userId}: no ${what} within ${timeoutMs} ms; last from the bot: ${JSON.stringify(this.texts().slice(-3))}`)
      await new Promise<void>(resolve => { const t = setTimeout(resolve, Math.min(left, 500)); this.wake.push(() => { clearTimeout(t); resolve() }) })
    }
  }
}

export function textOf (m: Message): string {
  return m.content['@type'] === 'messageText' ? m.content.text.text : `(${m.content['@type']})`
}

export interface StaffAccount { userId: number, name: string, department: DepartmentId, deskSession: string, phone: Phone }

export interface World {
  broker: TestBroker
  sandbox: SandboxBackend
  client: BrokerClient
  dir: string
  url: string
  /** Adds an account to the sandbox and logs it in (it knows the bot). */
  account (id: number, firstName: string): Promise<Phone>
  /** A staff member: an account logged in twice, the desk's session left detached for the desk to attach. */
  staff (id: number, firstName: string, department: DepartmentId): Promise<StaffAccount>
  stop (): Promise<void>
}

export async function startWorld (): Promise<World> {
  const broker = await startBroker({
    tdlib: { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' },
    terminate_delay: 600,
    allowed_requests: DESK_REQUESTS, allowed_updates: DESK_UPDATES
  })
  const sandbox = broker.backend as SandboxBackend
  const url = `tcp://127.0.0.1:${broker.port}`
  const client = await connect({ url })
  const dir = tempDir('tdbroker-desk-')
  const phoneOf = (id: number): string => `+1555${String(id).padStart(7, '0')}`
  const session = async (id: number): Promise<BrokerSession> => {
    const s = await client.createSession()
    await login(s, { getPhoneNumber: () => phoneOf(id), getAuthCode: () => sandbox.world.loginCode(phoneOf(id)) })
    await s.invoke({ '@type': 'searchPublicChat', username: BOT_USERNAME })
    return s
  }
  const added = new Set<number>()
  const add = (id: number, firstName: string): void => {
    if (added.has(id)) return
    sandbox.world.addUser({ id, phone: phoneOf(id), first_name: firstName })
    added.add(id)
  }
  return {
    broker, sandbox, client, dir, url,
    async account (id, firstName) {
      add(id, firstName)
      return new Phone(await session(id), id)
    },
    async staff (id, firstName, department) {
      add(id, firstName)
      const desk = await session(id)
      await desk.detach()
      return { userId: id, name: firstName, department, deskSession: desk.id, phone: new Phone(await session(id), id) }
    },
    async stop () { client.close(); await broker.stop() }
  }
}

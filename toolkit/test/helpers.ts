/**
 * A broker on the sandbox for the toolkit's tests, clients logged in over
 * its socket (the bot and the seeded users), and an inbox per user that
 * collects what the bot sends, edits and deletes.
 */
import { connect, login, type BrokerClient, type BrokerSession, type Update } from '@tdbroker/client'
import { startBroker, tempDir, type TestBroker } from '../../test/helpers/broker.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/sandbox-backend.js'

export const BOT_ID = 7000001
export const BOT_TOKEN = '7000001:sandbox-echo-bot-token'
export const BOT_USERNAME = 'echo_sandbox_bot'
export const LOUNGE = -1000000001001
export const USERS = { alice: '+15550001001', bob: '+15550001002', dave: '+15550001004' } as const
export const IDS = { alice: 1000001, bob: 1000002, dave: 1000004 } as const

const ALLOWED_REQUESTS = [
  'getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'checkAuthenticationBotToken',
  'getMe', 'getChat', 'getChats', 'loadChats', 'searchPublicChat', 'sendMessage', 'editMessageText', 'getMessage', 'deleteMessages',
  'answerCallbackQuery', 'getCallbackQueryAnswer', 'parseTextEntities', 'setCommands', 'getCommands', 'getChatAdministrators', 'getChatHistory'
]
const ALLOWED_UPDATES = [
  'updateNewMessage', 'updateMessageSendSucceeded', 'updateMessageSendFailed', 'updateNewCallbackQuery', 'updateDeleteMessages',
  'updateMessageContent', 'updateMessageEdited', 'updateNewChat', 'updateUser'
]

export interface World {
  broker: TestBroker
  sandbox: SandboxBackend
  client: BrokerClient
  bot: BrokerSession
  dir: string
  stop(): Promise<void>
}

/** A broker on the sandbox, a client, and the Echo Bot logged in. */
export async function startWorld (): Promise<World> {
  const broker = await startBroker({
    tdlib: { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' },
    allowed_requests: ALLOWED_REQUESTS, allowed_updates: ALLOWED_UPDATES
  })
  const client = await connect({ url: `tcp://127.0.0.1:${broker.port}` })
  const bot = await client.createSession()
  await login(bot, { type: 'bot', getToken: () => BOT_TOKEN })
  const dir = tempDir('tdbroker-toolkit-')
  return {
    broker, client, bot, dir, sandbox: broker.backend as SandboxBackend,
    async stop () { client.close(); await broker.stop() }
  }
}

/** What a user receives from the bot, in order, with bounded waits. */
export class Inbox {
  readonly messages: Array<Extract<Update, { '@type': 'updateNewMessage' }>['message']> = []
  readonly deleted = new Set<string>()
  private read = 0
  private wake: (() => void) | undefined

  constructor (readonly session: BrokerSession, readonly userId: number) {
    session.on('update', u => {
      if (u['@type'] === 'updateNewMessage' && !u.message.is_outgoing && u.message.sender_id['@type'] === 'messageSenderUser' && u.message.sender_id.user_id === BOT_ID) this.messages.push(u.message)
      if (u['@type'] === 'updateDeleteMessages') for (const id of u.message_ids) this.deleted.add(`${u.chat_id}:${id}`)
      this.wake?.()
    })
  }

  /** Marks everything received so far as read: next() then returns what comes after. */
  skip (): void { this.read = this.messages.length }

  /** The next message from the bot not read yet (in any chat, or in `chatId`). */
  async next (chatId?: number, timeoutMs = 20_000): Promise<Inbox['messages'][number]> {
    const m = await this.until(() => this.messages.slice(this.read).find(m => chatId === undefined || m.chat_id === chatId), timeoutMs, 'a message from the bot')
    this.read = this.messages.indexOf(m) + 1
    return m
  }

  /** The text of the next message from the bot. */
  async nextText (chatId?: number): Promise<string> {
    const m = await this.next(chatId)
    return m.content['@type'] === 'messageText' ? m.content.text.text : `(${m.content['@type']})`
  }

  async waitDeleted (chatId: number, messageId: number, timeoutMs = 20_000): Promise<void> {
    await this.until(() => this.deleted.has(`${chatId}:${messageId}`) ? true : undefined, timeoutMs, `deletion of ${messageId}`)
  }

  /** Resolves with the first defined value of `check`, re-checked on every update, within the timeout. */
  async until<T> (check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = check()
      if (value !== undefined) return value
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`user ${this.userId}: no ${what} within ${timeoutMs} ms`)
      await new Promise<void>(resolve => { const t = setTimeout(resolve, Math.min(left, 1000)); this.wake = () => { clearTimeout(t); resolve() } })
    }
  }
}

export interface User { session: BrokerSession, inbox: Inbox, id: number, say: (chatId: number, text: string) => Promise<void>, press: (chatId: number, messageId: number, id: string) => Promise<string> }

/** A seeded user logged in, knowing the bot's private chat and the lounge. */
export async function userOf (w: World, name: keyof typeof USERS): Promise<User> {
  const session = await w.client.createSession()
  await login(session, { getPhoneNumber: () => USERS[name], getAuthCode: () => w.sandbox.world.loginCode(USERS[name]), getPassword: () => 'sandbox' })
  await session.invoke({ '@type': 'searchPublicChat', username: BOT_USERNAME })
  await session.invoke({ '@type': 'searchPublicChat', username: 'sandbox_lounge' }).catch(() => undefined)
  const inbox = new Inbox(session, IDS[name])
  return {
    session, inbox, id: IDS[name],
    say: async (chatId, text) => {
      inbox.skip()
      await session.invoke({ '@type': 'sendMessage', chat_id: chatId, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } } })
    },
    press: async (chatId, messageId, id) => {
      const answer = await session.invoke({ '@type': 'getCallbackQueryAnswer', chat_id: chatId, message_id: messageId, payload: { '@type': 'callbackQueryPayloadData', data: Buffer.from(id).toString('base64') } })
      return answer.text
    }
  }
}

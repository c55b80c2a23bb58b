/**
 * The emulated Telegram: one per sandbox backend, shared by all its clients.
 * Holds the accounts, groups and conversations seeded from JSON, the session
 * folders (devices) it knows, and the requests waiting for another party
 * (callback and inline queries, calls, QR logins).
 */
import { resolve } from 'node:path'
import { fail, type Td, type Tl } from './td.js'
import {
  DEFAULT_EMAIL_CODE, DEFAULT_LOGIN_CODE, SERVICE_USER_ID, validateSeed,
  type SandboxWorldSeed, type SeedUser,
} from './seed.js'
import {
  Conversation, basicGroupChatId, chatIdKind, privateKey, supergroupChatId,
  type Account, type Group, type Member, type StoredMessage,
} from './model.js'
import { Device } from './device.js'
import { deleteMarker, readMarker, writeMarker } from './persist.js'
import { announceMessage, storeMessage, textContent } from './delivery.js'
import { FaultState } from './faults.js'
import type { SandboxClient } from './client.js'
import type { PendingCallbackQuery, PendingInlineQuery, InlineAnswer } from './inline.js'
import type { CallRecord } from './calls.js'
import type { InviteLink } from './groups.js'

/** What tests and benchmarks may do with the world directly. */
export interface SandboxWorldApi {
  /** The login code the sandbox expects for a phone number (any format) or user id. */
  loginCode(phoneOrUserId: string | number): string
  /** The code "sent" to the login email address of that account. */
  emailCode(phoneOrUserId: string | number): string
  /** A user's or bot's id by phone number or username (without "@"). */
  userId(phoneOrUsername: string): number | undefined
  /**
   * Posts plain-text messages into a chat as `fromUserId`, with no client
   * involved: every device of every member gets updateNewMessage and
   * updateChatLastMessage at once. `chatId` is the chat as the sender sees it
   * (for a private chat, the other user's id). Returns the message ids.
   */
  injectMessages(fromUserId: number, chatId: number, texts: readonly string[]): number[]
  /** Adds a user at run time, as if it had been in the seed. */
  addUser(user: SeedUser): void
  /** Account logged in from a session folder (0 if none). */
  sessionUser(directory: string): number
  /** Updates waiting for a closed session folder. */
  queuedUpdates(directory: string): number
}

export interface WorldOptions {
  latencyMs: number
  /** How long a user waits for a bot to answer a callback or inline query. */
  botTimeoutMs: number
}

const QUERY_ID_BASE = 4_611_686_018_427_387_904n // 2^62: looks like TDLib's int64 ids

/** A phone number as digits only, or undefined if it is not 5 to 15 digits once spaces, +, -, ., () are removed. */
export function normalizePhone (input: string): string | undefined {
  const digits = input.replace(/[\s()+.-]/g, '')
  return /^[0-9]{5,15}$/.test(digits) ? digits : undefined
}

export class World implements SandboxWorldApi {
  readonly options: WorldOptions
  readonly accounts = new Map<number, Account>()
  /** Basic groups and supergroups by chat id. */
  readonly groups = new Map<number, Group>()
  readonly devices = new Map<string, Device>()
  readonly clients = new Set<SandboxClient>()
  readonly faults: FaultState
  readonly callbackQueries = new Map<string, PendingCallbackQuery>()
  readonly inlineQueries = new Map<string, PendingInlineQuery>()
  readonly inlineAnswers = new Map<string, InlineAnswer>()
  readonly inlineMessages = new Map<string, StoredMessage>()
  readonly calls = new Map<number, CallRecord>()
  readonly inviteLinks = new Map<string, InviteLink>()
  /** Bots' command lists by bot, scope and language (bot-commands.ts). */
  readonly botCommands = new Map<string, Array<Td<Tl.botCommand>>>()
  readonly qrLogins = new Map<string, SandboxClient>()
  readonly defaultLoginCode: string
  readonly defaultEmailCode: string
  private readonly byPhone = new Map<string, Account>()
  private readonly byUsername = new Map<string, Account | Group>()
  private readonly conversations = new Map<string, Conversation>()
  private nextUserId = 1_000_000
  private nextBasicGroupId = 1_000
  private nextSupergroupId = 1_000_000
  private nextCall = 1
  private orderSeq = 0
  private querySeq = 0n
  private serverQueue: Array<() => void> = []
  private serverScheduled = false

  constructor (seed: SandboxWorldSeed, options: WorldOptions) {
    validateSeed(seed)
    this.options = options
    this.faults = new FaultState(this, options.latencyMs)
    this.defaultLoginCode = seed.defaults?.login_code ?? DEFAULT_LOGIN_CODE
    this.defaultEmailCode = seed.defaults?.email_code ?? DEFAULT_EMAIL_CODE
    this.addAccount({ id: SERVICE_USER_ID, isBot: false, phone: '', firstName: 'Telegram' })
    for (const u of seed.users ?? []) this.createUser(u)
    for (const b of seed.bots ?? []) {
      this.addAccount({ id: b.id, isBot: true, phone: '', firstName: b.first_name, lastName: b.last_name, username: b.username, botToken: b.token, isInline: b.inline, inlinePlaceholder: b.inline_placeholder })
    }
    for (const u of seed.users ?? []) for (const c of u.contacts ?? []) this.accounts.get(u.id)!.contacts.add(c)
    const start = this.now()
    for (const g of seed.basic_groups ?? []) {
      const group = this.addGroup('basic', g.id, g.title, g.creator, false, start)
      for (const m of g.members ?? []) this.addMember(group, m, 'member', g.creator, start)
      this.nextBasicGroupId = Math.max(this.nextBasicGroupId, g.id + 1)
    }
    for (const g of seed.supergroups ?? []) {
      const group = this.addGroup('super', g.id, g.title, g.creator, g.is_channel === true, start)
      group.description = g.description ?? ''
      if (g.username !== undefined) this.setGroupUsername(group, g.username)
      for (const m of g.admins ?? []) this.addMember(group, m, 'administrator', g.creator, start)
      for (const m of g.members ?? []) this.addMember(group, m, 'member', g.creator, start)
      this.nextSupergroupId = Math.max(this.nextSupergroupId, g.id + 1)
    }
    for (const group of this.groups.values()) {
      const memberIds = [...group.members.keys()]
      const content = group.kind === 'basic'
        ? { '@type': 'messageBasicGroupChatCreate' as const, title: group.title, member_user_ids: memberIds }
        : { '@type': 'messageSupergroupChatCreate' as const, title: group.title }
      storeMessage(this, group.conv, { senderId: group.creatorId, content, asChannel: group.isChannel })
    }
  }

  now (): number {
    return Math.floor(Date.now() / 1000)
  }

  /** The next chat-list order value: later activity sorts higher. */
  nextOrder (): number {
    return ++this.orderSeq
  }

  /** A fresh int64 id (callback queries, inline queries), as TDLib's JSON sends them: a string. */
  nextQueryId (): string {
    this.querySeq += 1n
    return (QUERY_ID_BASE + this.querySeq).toString()
  }

  nextCallId (): number {
    return this.nextCall++
  }

  /**
   * Runs `task` as "the server's reply": after the current request's answer
   * has reached the caller (setImmediate runs after all pending promise jobs),
   * so e.g. updateMessageSendSucceeded follows the sendMessage answer as it does
   * with TDLib. One setImmediate serves every task queued in the same turn.
   */
  serverSide (task: () => void): void {
    this.serverQueue.push(task)
    if (this.serverScheduled) return
    this.serverScheduled = true
    setImmediate(() => {
      this.serverScheduled = false
      const tasks = this.serverQueue
      this.serverQueue = []
      let first: unknown
      for (const t of tasks) {
        try { t() } catch (err) { first ??= err }
      }
      if (first !== undefined) throw first
    })
  }

  // --- accounts ---------------------------------------------------------

  addUser (u: SeedUser): void {
    const { contacts, ...shape } = u
    validateSeed({ users: [shape] }, `user ${u.id}`)
    for (const c of contacts ?? []) if (!this.accounts.has(c)) throw new Error(`user ${u.id}: no user with id ${c} for contacts`)
    this.createUser(u)
  }

  private createUser (u: SeedUser): void {
    const phone = normalizePhone(u.phone)
    if (phone === undefined) throw new Error(`invalid phone number ${u.phone}`)
    if (this.byPhone.has(phone)) throw new Error(`phone number ${u.phone} is already used`)
    this.addAccount({
      id: u.id, isBot: false, phone, firstName: u.first_name, lastName: u.last_name, username: u.username,
      password: u.password, passwordHint: u.password_hint, loginCode: u.login_code,
      needsEmail: u.needs_email, emailCode: u.email_code,
    })
    for (const c of u.contacts ?? []) if (this.accounts.has(c)) this.accounts.get(u.id)!.contacts.add(c)
  }

  /** Registers an unknown phone number (registerUser). */
  registerUser (phone: string, firstName: string, lastName: string, id?: number): Account {
    while (this.accounts.has(this.nextUserId)) this.nextUserId++
    return this.addAccount({ id: id ?? this.nextUserId++, isBot: false, phone, firstName, lastName, registered: true })
  }

  private addAccount (a: {
    id: number, isBot: boolean, phone: string, firstName: string, lastName?: string | undefined
    username?: string | undefined, password?: string | undefined, passwordHint?: string | undefined
    loginCode?: string | undefined, needsEmail?: boolean | undefined, emailCode?: string | undefined
    botToken?: string | undefined, isInline?: boolean | undefined, inlinePlaceholder?: string | undefined
    registered?: boolean
  }): Account {
    if (this.accounts.has(a.id)) throw new Error(`user id ${a.id} is already used`)
    if (a.username !== undefined && this.byUsername.has(a.username.toLowerCase())) throw new Error(`username ${a.username} is already taken`)
    const account: Account = {
      id: a.id,
      isBot: a.isBot,
      phone: a.phone,
      firstName: a.firstName,
      lastName: a.lastName ?? '',
      passwordHint: a.passwordHint ?? '',
      loginCode: a.loginCode ?? this.defaultLoginCode,
      needsEmail: a.needsEmail === true,
      emailCode: a.emailCode ?? this.defaultEmailCode,
      isInline: a.isInline === true,
      inlinePlaceholder: a.inlinePlaceholder ?? '',
      registered: a.registered === true,
      contacts: new Set(),
      devices: new Set(),
    }
    if (a.username !== undefined) account.username = a.username
    if (a.password !== undefined) account.password = a.password
    if (a.botToken !== undefined) account.botToken = a.botToken
    this.accounts.set(a.id, account)
    if (a.phone !== '') this.byPhone.set(a.phone, account)
    if (a.username !== undefined) this.byUsername.set(a.username.toLowerCase(), account)
    return account
  }

  accountByPhone (input: string): Account | undefined {
    const phone = normalizePhone(input)
    return phone === undefined ? undefined : this.byPhone.get(phone)
  }

  byPublicName (username: string): Account | Group | undefined {
    return this.byUsername.get(username.toLowerCase())
  }

  botByToken (token: string): Account | undefined {
    const id = Number(token.split(':')[0])
    const bot = this.accounts.get(id)
    return bot?.isBot === true && bot.botToken === token ? bot : undefined
  }

  // --- chats --------------------------------------------------------------

  privateConversation (a: number, b: number): Conversation {
    const key = privateKey(a, b)
    let conv = this.conversations.get(key)
    if (conv === undefined) {
      conv = new Conversation(key, 'private', a < b ? [a, b] : [b, a])
      this.conversations.set(key, conv)
    }
    return conv
  }

  /** The conversation `viewerId` calls `chatId`, if such a chat exists (membership is not checked). */
  conversationFor (viewerId: number, chatId: number): Conversation | undefined {
    const kind = chatIdKind(chatId)
    if (kind === 'private') return this.accounts.has(chatId) ? this.privateConversation(viewerId, chatId) : undefined
    if (kind === 'invalid') return undefined
    return this.groups.get(chatId)?.conv
  }

  /** Every conversation `userId` takes part in that has a place in the chat list. */
  conversationsOf (userId: number): Conversation[] {
    const out: Conversation[] = []
    for (const conv of this.conversations.values()) {
      if (conv.order > 0 && conv.peers !== undefined && conv.peers.includes(userId)) out.push(conv)
    }
    for (const g of this.groups.values()) if (g.conv.order > 0 && g.members.has(userId)) out.push(g.conv)
    return out.sort((a, b) => b.order - a.order)
  }

  addGroup (kind: 'basic' | 'super', id: number | undefined, title: string, creatorId: number, isChannel: boolean, date: number): Group {
    const groupId = id ?? (kind === 'basic' ? this.nextBasicGroupId++ : this.nextSupergroupId++)
    const chatId = kind === 'basic' ? basicGroupChatId(groupId) : supergroupChatId(groupId)
    const conv = new Conversation(`g${chatId}`, kind)
    const group: Group = {
      kind, id: groupId, chatId, title, description: '', isChannel, creatorId, date, members: new Map(), banned: new Map(), conv,
    }
    conv.group = group
    this.groups.set(chatId, group)
    this.addMember(group, creatorId, 'creator', creatorId, date)
    return group
  }

  addMember (group: Group, userId: number, status: Member['status'], inviterId: number, date: number): void {
    if (group.members.has(userId)) return
    group.members.set(userId, { userId, status, joinedDate: date, inviterId })
  }

  setGroupUsername (group: Group, username: string): void {
    if (this.byUsername.has(username.toLowerCase())) fail(400, 'USERNAME_OCCUPIED')
    group.username = username
    this.byUsername.set(username.toLowerCase(), group)
  }

  basicGroup (id: number): Group | undefined {
    return this.groups.get(basicGroupChatId(id))
  }

  supergroup (id: number): Group | undefined {
    return this.groups.get(supergroupChatId(id))
  }

  // --- devices (session folders) -----------------------------------------

  /**
   * The device for a folder: the one this world already knows, or one
   * restored from the folder's marker file (a restarted process).
   */
  device (directory: string): Device {
    const dir = resolve(directory)
    let device = this.devices.get(dir)
    if (device !== undefined) return device
    device = new Device(dir)
    this.devices.set(dir, device)
    const marker = readMarker(dir)
    if (marker === undefined) return device
    let account = this.accounts.get(marker.user_id)
    if (account === undefined && marker.registered !== undefined && this.accountByPhone(marker.phone) === undefined) {
      account = this.registerUser(marker.phone, marker.registered.first_name, marker.registered.last_name, marker.user_id)
    }
    if (account === undefined || account.phone !== marker.phone) return device // another world: start logged out
    device.userId = account.id
    account.devices.add(device)
    for (const id of marker.known_users) if (this.accounts.has(id)) device.knownUsers.add(id)
    for (const id of marker.known_chats) if (this.conversationFor(account.id, id) !== undefined) device.knownChats.add(id)
    return device
  }

  /** Records a login on the device and in its folder. */
  login (device: Device, account: Account): void {
    device.userId = account.id
    account.devices.add(device)
    this.saveDevice(device)
  }

  saveDevice (device: Device): void {
    const account = this.accounts.get(device.userId)
    if (account === undefined) return
    writeMarker(device.directory, {
      format: 1,
      user_id: account.id,
      phone: account.phone,
      ...(account.registered ? { registered: { first_name: account.firstName, last_name: account.lastName } } : {}),
      known_users: [...device.knownUsers],
      known_chats: [...device.knownChats],
    })
  }

  /** logOut or destroy: the folder is no longer logged in. */
  forgetDevice (device: Device): void {
    this.accounts.get(device.userId)?.devices.delete(device)
    device.reset()
    this.devices.delete(device.directory)
    deleteMarker(device.directory)
  }

  /** A client released the folder. Logged-in devices stay, to queue updates. */
  releaseDevice (device: Device): void {
    device.sink = undefined
    if (device.userId === 0) this.devices.delete(device.directory)
    else this.saveDevice(device)
  }

  // --- test API -----------------------------------------------------------

  private accountOf (phoneOrUserId: string | number): Account | undefined {
    if (typeof phoneOrUserId === 'number') return this.accounts.get(phoneOrUserId)
    return this.accountByPhone(phoneOrUserId)
  }

  loginCode (phoneOrUserId: string | number): string {
    return this.accountOf(phoneOrUserId)?.loginCode ?? this.defaultLoginCode
  }

  emailCode (phoneOrUserId: string | number): string {
    return this.accountOf(phoneOrUserId)?.emailCode ?? this.defaultEmailCode
  }

  userId (phoneOrUsername: string): number | undefined {
    const named = this.byPublicName(phoneOrUsername.replace(/^@/, ''))
    if (named !== undefined && 'isBot' in named) return named.id
    return this.accountByPhone(phoneOrUsername)?.id
  }

  injectMessages (fromUserId: number, chatId: number, texts: readonly string[]): number[] {
    const conv = this.conversationFor(fromUserId, chatId)
    if (conv === undefined || ![...conv.participants()].includes(fromUserId)) {
      throw new Error(`user ${fromUserId} has no chat ${chatId}`)
    }
    const asChannel = conv.group?.isChannel === true
    return texts.map(text => {
      const m = storeMessage(this, conv, { senderId: fromUserId, content: textContent(text), asChannel })
      announceMessage(this, m)
      return m.id
    })
  }

  sessionUser (directory: string): number {
    return this.devices.get(resolve(directory))?.userId ?? 0
  }

  queuedUpdates (directory: string): number {
    return this.devices.get(resolve(directory))?.queuedUpdates ?? 0
  }
}

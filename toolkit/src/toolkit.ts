/**
 * The toolkit on one broker session (a bot or a user account): it reads the
 * session's updates, finds (or creates, on first contact) the machine of the
 * chat each one belongs to, and hands it the event: a command, a dialog's
 * answer, a message, a button press, a timer.
 */
import type { BrokerSession, Update } from '@tdbroker/client'
import { authorizationCommands } from './auth-commands.js'
import { checkArgs, checkDefinition, defaultRefusal, missingPrivileges, usage, type CommandDefinition, type RefusalHook } from './commands.js'
import { ChatContext, type Runtime } from './context.js'
import { Dialogs } from './dialogs.js'
import { DialogTimeoutError, TelegramError, ToolkitError, typed } from './errors.js'
import { ChatMachine, Hold, type Next, type States } from './machine.js'
import { Notifier, type NotificationOptions } from './notifications.js'
import { parseCommand } from './parse.js'
import { Scheduler, type FireOutcome } from './scheduler.js'
import { ToolkitStore, type ScheduledEvent } from './store.js'
import { buttonId, DELETE_BUTTON_ID, RESERVED_BUTTON_PREFIX, Telegram, type Buttons, type Message, type Sent, type TextInput } from './telegram.js'

export interface ToolkitOptions {
  /** The SQLite file (created if missing); ':memory:' keeps nothing. */
  database: string
  /** The states of every chat's machine; default one state, "idle", that does nothing. */
  states?: States
  /** The state a chat starts in (default: the first of `states`). */
  initial?: string
  commands?: CommandDefinition[]
  /** The command prefix (default '/'). */
  prefix?: string
  /** Privileges no command names but that /grant should accept. */
  privileges?: string[]
  /** Users in the Admin group of every chat, besides each chat's owner. */
  owners?: number[]
  /** Topics chats may register for (/subscribe, /unsubscribe, notify()). */
  topics?: string[]
  notifications?: NotificationOptions
  /** What a user without a command's privileges is told. */
  refusal?: RefusalHook
  /** Replaceable texts. */
  messages?: Partial<ToolkitMessages>
  /** Timeout of each request to the broker, and of Telegram's confirmation of a send (default 30 s). */
  requestTimeoutMs?: number
  /** Publish the command list with setCommands at start (bots only; default true). */
  publishCommands?: boolean
  /** Machines kept in memory; the least recently used idle one is dropped beyond (its state stays stored). Default 10000. */
  maxMachines?: number
  /** A handler threw, or a scheduled event failed; default console.error. */
  onError?: (error: unknown, where: { chatId?: number, event: string }) => void
  /** Clock (ms), for scheduled events. */
  now?: () => number
}

export interface ToolkitMessages {
  usage: (usageLine: string, problem: string) => string
  dialogTimedOut: string
  notYourQuestion: string
  deleted: string
  badQuoting: (problem: string) => string
}

const MESSAGES: ToolkitMessages = {
  usage: (line, problem) => `Usage: ${line} (${problem})`,
  dialogTimedOut: 'No answer in time; start again when you are ready.',
  notYourQuestion: 'This question is for someone else.',
  deleted: 'Deleted.',
  badQuoting: problem => `I could not read that command: ${problem}.`
}

const BUILT_IN_PRIVILEGES = ['can_subscribe']

export class Toolkit {
  readonly store: ToolkitStore
  readonly notifier: Notifier
  private readonly telegram: Telegram
  private readonly dialogs = new Dialogs()
  private readonly scheduler: Scheduler
  private readonly states: States
  private readonly initial: string
  private readonly commands = new Map<string, CommandDefinition>()
  private readonly machines = new Map<number, Promise<ChatMachine>>()
  private readonly messages: ToolkitMessages
  private readonly now: () => number
  private me: Runtime['me'] | undefined
  private stateValue: 'new' | 'running' | 'stopped' = 'new'
  private readonly listener = (u: Update): void => { this.onUpdate(u) }

  constructor (readonly session: BrokerSession, private readonly options: ToolkitOptions) {
    this.states = options.states ?? { idle: {} }
    const first = Object.keys(this.states)[0]
    if (first === undefined) throw new ToolkitError('INVALID_DEFINITION', 'states: define at least one state')
    this.initial = options.initial ?? first
    if (this.states[this.initial] === undefined) throw new ToolkitError('INVALID_DEFINITION', `initial: no state "${this.initial}"`)
    this.messages = { ...MESSAGES, ...options.messages }
    this.now = options.now ?? Date.now
    this.store = new ToolkitStore(options.database)
    this.telegram = new Telegram(session, options.requestTimeoutMs ?? 30_000)
    this.scheduler = new Scheduler(this.store, async e => await this.fire(e), this.now)
    const topics = new Set(options.topics ?? [])
    this.notifier = new Notifier(this.telegram, this.store, options.notifications ?? {}, topics)
    const builtIn = authorizationCommands({ store: this.store, resolveUser: async a => await this.resolveUser(a), knownPrivileges: () => this.knownPrivileges() })
    if (topics.size > 0) builtIn.push(...this.subscriptionCommands())
    for (const c of [...builtIn, ...(options.commands ?? [])]) this.command(c)
  }

  get state (): 'new' | 'running' | 'stopped' { return this.stateValue }
  /** The session's username (after start()), '' when it has none. */
  get username (): string { return this.me?.username ?? '' }

  /** Adds (or replaces) a command; call publishCommands() afterwards if the bot is running. */
  command (definition: CommandDefinition): this {
    checkDefinition(definition)
    this.commands.set(definition.name, definition)
    return this
  }

  /** Every privilege the toolkit knows: the commands', the built-in ones, and `options.privileges`. */
  knownPrivileges (): Set<string> {
    const names = new Set([...BUILT_IN_PRIVILEGES, ...(this.options.privileges ?? [])])
    for (const c of this.commands.values()) for (const p of c.privileges ?? []) names.add(p)
    return names
  }

  /** Reads who the session is, fires what came due while stopped, starts taking updates, publishes the commands. */
  async start (): Promise<void> {
    if (this.stateValue !== 'new') throw new ToolkitError('STOPPED', `start() on a toolkit that is ${this.stateValue}`)
    const me = await typed('getMe', async () => await this.session.invoke({ '@type': 'getMe' }))
    this.me = { id: me.id, username: me.usernames?.active_usernames[0] ?? '', isBot: me.type['@type'] === 'userTypeBot' }
    this.session.on('update', this.listener)
    this.stateValue = 'running'
    this.scheduler.start()
    if (this.me.isBot && this.options.publishCommands !== false) await this.publishCommands()
  }

  /** Stops taking updates; waiting questions and queued notifications end with STOPPED. Safe to call twice. */
  async stop (): Promise<void> {
    if (this.stateValue === 'stopped') return
    // New events stop here; handlers already running finish (their sends still get Telegram's confirmation).
    this.stateValue = 'stopped'
    this.dialogs.close()
    this.notifier.stop()
    await this.scheduler.stop()
    await Promise.allSettled([...this.machines.values()].map(async m => { const r = await (await m).lock.acquire(); r() }))
    this.session.off('update', this.listener)
    this.telegram.close()
    this.store.close()
  }

  /** TDLib's setCommands with every command's name and description (bots only). */
  async publishCommands (): Promise<void> {
    if (this.me?.isBot !== true) throw new ToolkitError('NOT_A_BOT', 'only bots have a command menu (setCommands)')
    const commands = [...this.commands.values()].map(c => ({ '@type': 'botCommand' as const, command: c.name, description: c.description }))
    await typed('setCommands', async () => await this.session.invoke({ '@type': 'setCommands', scope: { '@type': 'botCommandScopeDefault' }, language_code: '', commands }))
  }

  /** Sends to every chat registered for the topic, paced; reports what could not be delivered. */
  async notify (topic: string, text: TextInput): ReturnType<Notifier['notify']> {
    return await this.notifier.notify(topic, text)
  }

  /**
   * Sends to any chat without taking its machine's lock, as Telegram stored
   * the message (like ctx.send). For relaying between chats: a handler of
   * one chat that awaited inChat() of another could wait on it forever.
   */
  async sendTo (chatId: number, text: TextInput, options: { buttons?: Buttons, replyTo?: number } = {}): Promise<Sent> {
    if (this.stateValue !== 'running') throw new ToolkitError('STOPPED', `sendTo() on a toolkit that is ${this.stateValue}`)
    if (this.me?.isBot !== true && options.buttons !== undefined) throw new ToolkitError('NOT_A_BOT', 'only bots can send buttons (Telegram drops a user account\'s keyboard)')
    return await this.telegram.send(chatId, text, options.buttons, options.replyTo)
  }

  /** Runs `fn` in the chat's machine, as an event of its own (e.g. from outside Telegram). */
  async inChat (chatId: number, userId: number | undefined, fn: (ctx: ChatContext) => Next | Promise<Next>, event = 'external'): Promise<void> {
    const machine = await this.machine(chatId)
    const hold = new Hold(machine.lock)
    await hold.take()
    const ctx = new ChatContext(this.runtime(), machine, hold, userId)
    try {
      const next = await fn(ctx)
      if (typeof next === 'string') await machine.transition(ctx, next)
    } catch (e) {
      this.report(e, { chatId, event })
    } finally {
      hold.give()
    }
  }

  private runtime (): Runtime {
    if (this.me === undefined) throw new ToolkitError('STOPPED', 'the toolkit has not started')
    return { telegram: this.telegram, store: this.store, dialogs: this.dialogs, scheduler: this.scheduler, me: this.me, now: this.now }
  }

  private onUpdate (u: Update): void {
    this.telegram.onUpdate(u)
    if (this.stateValue !== 'running') return
    if (u['@type'] === 'updateNewMessage') this.onMessage(u.message)
    else if (u['@type'] === 'updateNewCallbackQuery') this.onButton(u.chat_id, u.sender_user_id, u.message_id, u.id, buttonId(u.payload))
  }

  private onMessage (message: Message): void {
    if (message.is_outgoing) return
    const chatId = message.chat_id
    const userId = message.sender_id['@type'] === 'messageSenderUser' ? message.sender_id.user_id : undefined
    const text = message.content['@type'] === 'messageText' ? message.content.text.text : ''
    if (this.dialogs.offerMessage(chatId, userId, text, message)) return
    const parsed = parseCommand(text, this.options.prefix ?? '/')
    const mine = parsed?.ok !== true || parsed.command.target === undefined || parsed.command.target.toLowerCase() === this.me?.username.toLowerCase()
    if (!mine) return
    const definition = parsed?.ok === true ? this.commands.get(parsed.command.name) : undefined
    void this.inChat(chatId, userId, async ctx => {
      if (parsed?.ok === false) { await ctx.send(this.messages.badQuoting(parsed.error)); return }
      const allowed = ctx.state === undefined || (this.states[ctx.state]?.commands?.includes(definition?.name ?? '') ?? true)
      if (definition === undefined || parsed === undefined || !allowed) return await this.states[ctx.state]?.onMessage?.(ctx, { message, text, userId })
      return await this.runCommand(ctx, definition, parsed.command.args)
    }, definition === undefined ? 'message' : `/${definition.name}`)
  }

  private async runCommand (ctx: ChatContext, c: CommandDefinition, args: string[]): Promise<Next> {
    const missing = missingPrivileges(ctx, c)
    if (missing.length > 0) {
      const refusal = await (this.options.refusal ?? defaultRefusal)(ctx, { command: c.name, userId: ctx.userId, missing })
      if (refusal !== undefined) await ctx.send(refusal)
      return
    }
    const problem = checkArgs(c, args)
    if (problem !== undefined) { await ctx.send(this.messages.usage(usage(this.options.prefix ?? '/', c), problem)); return }
    try {
      return await c.run(ctx, args)
    } catch (e) {
      if (!(e instanceof DialogTimeoutError)) throw e
      if (c.onTimeout !== undefined) return await c.onTimeout(ctx, e)
      await ctx.send(this.messages.dialogTimedOut)
    }
  }

  private onButton (chatId: number, userId: number, messageId: number, queryId: string, id: string | undefined): void {
    let answered = false
    const answer = async (text = ''): Promise<void> => {
      if (answered) return
      answered = true
      await this.telegram.answerButton(queryId, text)
    }
    const answerQuietly = (text?: string): void => { answer(text).catch(e => { this.report(e, { chatId, event: 'answerCallbackQuery' }) }) }
    if (id === undefined) { answerQuietly(); return }
    if (id === DELETE_BUTTON_ID) {
      this.telegram.delete(chatId, [messageId]).then(() => { answerQuietly(this.messages.deleted) }, e => { answerQuietly(); this.report(e, { chatId, event: 'delete button' }) })
      return
    }
    const offer = this.dialogs.offerButton(chatId, userId, messageId, id)
    if (offer !== 'none') { answerQuietly(offer === 'not_yours' ? this.messages.notYourQuestion : ''); return }
    if (id.startsWith(RESERVED_BUTTON_PREFIX)) { answerQuietly(); return }
    void this.inChat(chatId, userId, async ctx => {
      // The press may have come before its question's waiter: the asking handler was still
      // waiting for Telegram's confirmation of the question (the confirmation and the press can
      // come in one read), holding the chat's lock. Now that this event has the lock, the
      // waiter is registered: offered again, the press answers the question instead of being lost.
      const late = this.dialogs.offerButton(chatId, userId, messageId, id)
      if (late !== 'none') { await answer(late === 'not_yours' ? this.messages.notYourQuestion : ''); return }
      try {
        return await this.states[ctx.state]?.onButton?.(ctx, { id, userId, messageId, answer })
      } finally {
        await answer()
      }
    }, 'button')
  }

  private async fire (e: ScheduledEvent): Promise<FireOutcome> {
    if (e.kind === 'timer') {
      await this.inChat(e.chatId, undefined, async ctx => await this.states[ctx.state]?.onTimer?.(ctx, e.timerName ?? ''), `timer ${e.timerName ?? ''}`)
      return { done: true }
    }
    try {
      await this.telegram.delete(e.chatId, [e.messageId ?? 0])
      return { done: true }
    } catch (error) {
      this.report(error, { chatId: e.chatId, event: 'scheduled deletion' })
      // Telegram refused (the message is gone, or may not be deleted): trying again changes nothing.
      return error instanceof TelegramError ? { done: true } : { done: false, retryInMs: 10_000 }
    }
  }

  /** The chat's machine; on first contact it is created, in the initial state, with the chat's owner in Admin. */
  private async machine (chatId: number): Promise<ChatMachine> {
    const known = this.machines.get(chatId)
    if (known !== undefined) {
      this.machines.delete(chatId)
      this.machines.set(chatId, known)
      return await known
    }
    const made = this.load(chatId)
    this.machines.set(chatId, made)
    made.catch(() => { this.machines.delete(chatId) })
    this.evict()
    return await made
  }

  private async load (chatId: number): Promise<ChatMachine> {
    const stored = this.store.chatState(chatId)
    const save = (s: string): void => { this.store.setState(chatId, s) }
    if (stored !== undefined) return new ChatMachine(chatId, stored, this.states, save)
    this.store.createChat(chatId, this.initial, await this.owner(chatId), this.now())
    for (const id of this.options.owners ?? []) this.store.addMember(chatId, 'admin', id)
    const machine = new ChatMachine(chatId, this.initial, this.states, save)
    const entry = this.states[this.initial]?.onEntry
    if (entry !== undefined) {
      const hold = new Hold(machine.lock)
      await hold.take()
      try { await entry(new ChatContext(this.runtime(), machine, hold, undefined)) } catch (e) { this.report(e, { chatId, event: 'onEntry' }) } finally { hold.give() }
    }
    return machine
  }

  private evict (): void {
    const max = this.options.maxMachines ?? 10_000
    for (const [chatId, m] of this.machines) {
      if (this.machines.size <= max) return
      void m.then(machine => { if (!machine.lock.busy && this.machines.get(chatId) === m) this.machines.delete(chatId) }, () => {})
    }
  }

  /** A private chat's owner is the user in it; a group's or channel's, its creator (getChatAdministrators). */
  private async owner (chatId: number): Promise<number | undefined> {
    if (chatId > 0) return chatId
    try {
      const admins = await typed('getChatAdministrators', async () => await this.session.invoke({ '@type': 'getChatAdministrators', chat_id: chatId }))
      return admins.administrators.find(a => a.is_owner)?.user_id
    } catch (e) {
      this.report(e, { chatId, event: 'owner lookup (the chat starts without an owner in Admin)' })
      return undefined
    }
  }

  private async resolveUser (arg: string): Promise<number | undefined> {
    if (/^\d{1,15}$/.test(arg)) return Number(arg)
    const username = arg.replace(/^@/, '')
    if (!/^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(username)) return undefined
    try {
      const chat = await typed('searchPublicChat', async () => await this.session.invoke({ '@type': 'searchPublicChat', username }))
      return chat.type['@type'] === 'chatTypePrivate' ? chat.type.user_id : undefined
    } catch (e) {
      if (e instanceof TelegramError && e.tdCode === 400) return undefined
      throw e
    }
  }

  private subscriptionCommands (): CommandDefinition[] {
    const topicsLine = (): string => (this.options.topics ?? []).join(', ')
    const act = (name: string, change: (topic: string, chatId: number) => boolean, done: string, already: string): CommandDefinition => ({
      name, description: `${name === 'subscribe' ? 'Register' : 'Unregister'} this chat for a topic's notifications`, privileges: ['can_subscribe'], params: ['topic'],
      run: async (ctx, [topic = '']) => {
        if (!(this.options.topics ?? []).includes(topic)) { await ctx.send(`Unknown topic ${topic}. Topics: ${topicsLine()}.`); return }
        await ctx.send(change(topic, ctx.chatId) ? `${done} ${topic}.` : `${already} ${topic}.`)
      }
    })
    return [
      act('subscribe', (t, c) => this.notifier.subscribe(t, c), 'Subscribed to', 'Already subscribed to'),
      act('unsubscribe', (t, c) => this.notifier.unsubscribe(t, c), 'Unsubscribed from', 'Was not subscribed to')
    ]
  }

  private report (error: unknown, where: { chatId?: number, event: string }): void {
    (this.options.onError ?? ((e, w) => { console.error(`toolkit: ${w.event} in chat ${w.chatId ?? '-'} failed:`, e) }))(error, where)
  }
}

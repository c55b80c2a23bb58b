/**
 * What a handler gets: the chat it runs for, who caused the event, and the
 * operations on that chat. Every send, edit and delete resolves with what
 * Telegram has, or rejects with a TelegramError, NetworkError or TimeoutError.
 */
import type { Answer } from './dialogs.js'
import type { Dialogs } from './dialogs.js'
import type { ChatMachine, Hold } from './machine.js'
import type { Scheduler } from './scheduler.js'
import type { ToolkitStore } from './store.js'
import { DELETE_BUTTON_ID, type Buttons, type Sent, type Telegram, type TextInput } from './telegram.js'
import { ToolkitError } from './errors.js'

/** The parts of a toolkit a context reaches. */
export interface Runtime {
  telegram: Telegram
  store: ToolkitStore
  dialogs: Dialogs
  scheduler: Scheduler
  me: { id: number, username: string, isBot: boolean }
  now: () => number
}

export interface SendOptions {
  buttons?: Buttons
  /** Delete the message this long after it was sent (stored: it happens after a restart too). */
  deleteAfterMs?: number
  /** Add a button with this label that deletes the message at once when pressed. */
  deleteButton?: string
  /** The id of a message of this chat to reply to. */
  replyTo?: number
}

export interface AskOptions {
  /** How long to wait for the answer (ms); then DialogTimeoutError. */
  timeoutMs: number
  buttons?: Buttons
  /** With buttons: whether a typed message also answers (default false). */
  acceptText?: boolean
}

type Target = Sent | number

export class ChatContext {
  constructor (
    private readonly runtime: Runtime,
    private readonly machine: ChatMachine,
    private readonly hold: Hold,
    /** The user whose message, command or press this is; undefined for a chat (channel post) or a timer. */
    readonly userId: number | undefined
  ) {}

  get chatId (): number { return this.machine.chatId }
  /** The chat machine's current state. */
  get state (): string { return this.machine.state }
  /** The session's own account. */
  get me (): Runtime['me'] { return this.runtime.me }

  async send (text: TextInput, options: SendOptions = {}): Promise<Sent> {
    if (!this.runtime.me.isBot && (options.buttons !== undefined || options.deleteButton !== undefined)) {
      throw new ToolkitError('NOT_A_BOT', 'only bots can send buttons (Telegram drops a user account\'s keyboard)')
    }
    let buttons = options.buttons
    if (options.deleteButton !== undefined) buttons = [...rows(buttons), [{ id: DELETE_BUTTON_ID, text: options.deleteButton }]]
    const sent = await this.runtime.telegram.send(this.chatId, text, buttons, options.replyTo)
    if (options.deleteAfterMs !== undefined) this.deleteAfter(sent, options.deleteAfterMs)
    return sent
  }

  /** Replaces a message's text, and its buttons when given (`[]` removes them). */
  async edit (target: Target, text: TextInput, buttons?: Buttons): Promise<Sent> {
    return await this.runtime.telegram.edit(this.chatId, idOf(target), text, buttons)
  }

  async delete (target: Target): Promise<void> {
    await this.runtime.telegram.delete(this.chatId, [idOf(target)])
  }

  /** Schedules the message's deletion (the seed's fire_event with a delay); it is stored, so it survives a restart. */
  deleteAfter (target: Target, delayMs: number): void {
    this.runtime.scheduler.scheduleDeletion(this.chatId, idOf(target), this.runtime.now() + Math.max(0, delayMs))
  }

  /** Fires the state's onTimer(name) after `delayMs`; setting a timer again moves it. Stored: survives a restart. */
  setTimer (name: string, delayMs: number): void {
    this.runtime.scheduler.scheduleTimer(this.chatId, name, this.runtime.now() + Math.max(0, delayMs))
  }

  cancelTimer (name: string): boolean {
    return this.runtime.scheduler.cancelTimer(this.chatId, name)
  }

  /** Whether the user of this event holds the privilege in this chat (Admin members hold every one). */
  holds (privilege: string): boolean {
    return this.userId !== undefined && this.runtime.store.holds(this.chatId, this.userId, privilege)
  }

  /** Goes to another state now (onExit, then onEntry), as a handler's return value would. */
  async goto (state: string): Promise<void> {
    await this.machine.transition(this, state)
  }

  /**
   * Sends a question and waits for this user's answer: a message, or a
   * press of one of the question's buttons. Rejects with DialogTimeoutError
   * after `timeoutMs`. The chat's other events go on while it waits.
   */
  async ask (question: TextInput, options: AskOptions): Promise<Answer & { question: Sent }> {
    const sent = await this.send(question, options.buttons === undefined ? {} : { buttons: options.buttons })
    const answer = await this.waitForAnswer({
      timeoutMs: options.timeoutMs,
      ...(options.buttons === undefined ? {} : { buttonsOf: sent.id, acceptText: options.acceptText ?? false })
    })
    return { ...answer, question: sent }
  }

  /** Waits for this user's next message (or a press of `buttonsOf`'s buttons) without sending anything. */
  async waitForAnswer (options: { timeoutMs: number, buttonsOf?: number, acceptText?: boolean }): Promise<Answer> {
    const waiting = this.runtime.dialogs.wait(this.chatId, this.userId, options)
    this.hold.give()
    try {
      return await waiting
    } finally {
      await this.hold.take()
    }
  }
}

function idOf (target: Target): number {
  return typeof target === 'number' ? target : target.id
}

function rows (buttons: Buttons | undefined): Array<Array<{ id: string, text: string }>> {
  if (buttons === undefined || buttons.length === 0) return []
  return Array.isArray(buttons[0]) ? buttons as Array<Array<{ id: string, text: string }>> : [buttons as Array<{ id: string, text: string }>]
}

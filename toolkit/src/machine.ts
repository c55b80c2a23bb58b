/**
 * One state machine per chat, group or channel. Events of a chat are handled
 * one at a time, in order (a lock per chat); a handler that waits for a
 * dialog's answer gives the lock back while it waits, so that the chat's
 * other events (other users, the answer itself) are not held behind it.
 */
import type { ChatContext } from './context.js'
import type { Message } from './telegram.js'
import { ToolkitError } from './errors.js'

/** What a handler returns: the name of the state to go to, or nothing to stay. */
export type Next = string | undefined | void
export type MaybePromise<T> = T | Promise<T>

/** A message that is neither a command nor a dialog's answer. */
export interface IncomingMessage {
  message: Message
  /** The text (or caption); '' for a message without one. */
  text: string
  /** The sender, or undefined when a chat (a channel) sent it. */
  userId: number | undefined
}

/** A press of a button that no dialog was waiting for. */
export interface ButtonPress {
  id: string
  userId: number
  messageId: number
  /** Answers the press with a short notice; the toolkit answers with none if the handler did not. */
  answer (text?: string): Promise<void>
}

export interface StateDefinition {
  onEntry?: (ctx: ChatContext) => MaybePromise<void>
  onExit?: (ctx: ChatContext) => MaybePromise<void>
  onMessage?: (ctx: ChatContext, message: IncomingMessage) => MaybePromise<Next>
  onButton?: (ctx: ChatContext, press: ButtonPress) => MaybePromise<Next>
  /** A timer set with ctx.setTimer fired. */
  onTimer?: (ctx: ChatContext, name: string) => MaybePromise<Next>
  /** The commands accepted in this state (names without the prefix); default: every command. */
  commands?: string[]
}

export type States = Record<string, StateDefinition>

/** A lock handed from one event of a chat to the next, in arrival order. */
export class ChatLock {
  private tail: Promise<void> = Promise.resolve()
  private pending = 0

  /** Events holding or waiting for the lock. */
  get busy (): boolean { return this.pending > 0 }

  async acquire (): Promise<() => void> {
    this.pending++
    let release!: () => void
    const next = new Promise<void>(resolve => { release = resolve })
    const before = this.tail
    this.tail = before.then(async () => await next)
    await before
    let released = false
    return () => { if (!released) { released = true; this.pending--; release() } }
  }
}

/** The lock as one handler holds it: given back while a dialog waits, taken again after. */
export class Hold {
  private release: (() => void) | undefined
  constructor (private readonly lock: ChatLock) {}
  async take (): Promise<void> { this.release ??= await this.lock.acquire() }
  give (): void { const r = this.release; this.release = undefined; r?.() }
}

export class ChatMachine {
  readonly lock = new ChatLock()
  constructor (readonly chatId: number, public state: string, private readonly states: States, private readonly saveState: (s: string) => void) {}

  get definition (): StateDefinition {
    const d = this.states[this.state]
    if (d === undefined) throw new ToolkitError('INVALID_DEFINITION', `chat ${this.chatId} is in state "${this.state}", which is not defined`)
    return d
  }

  /** Leaves the current state (onExit), enters `to` (onEntry); the new state is stored before onEntry runs. */
  async transition (ctx: ChatContext, to: string): Promise<void> {
    if (this.states[to] === undefined) throw new ToolkitError('INVALID_DEFINITION', `no state "${to}" (states: ${Object.keys(this.states).join(', ')})`)
    await this.definition.onExit?.(ctx)
    this.state = to
    this.saveState(to)
    await this.states[to]?.onEntry?.(ctx)
  }
}

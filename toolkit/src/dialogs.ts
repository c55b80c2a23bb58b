/**
 * Questions waiting for their answer. A handler that asks waits here, keyed
 * by chat and user, so that in a group only the user who was asked answers:
 * other members' messages go on to the chat's machine as usual, and their
 * presses of the question's buttons are refused.
 */
import type { Message } from './telegram.js'
import { DialogTimeoutError, ToolkitError } from './errors.js'

/** What answered a question: a message, or a press of one of the question's buttons. */
export type Answer =
  | { kind: 'text', text: string, message: Message }
  | { kind: 'button', id: string, messageId: number }

export interface WaitOptions {
  /** How long to wait; then the wait rejects with DialogTimeoutError. */
  timeoutMs: number
  /** Wait for a press of a button of this message (the question). */
  buttonsOf?: number
  /** Whether a text message answers too (default: only when `buttonsOf` is not given). */
  acceptText?: boolean
}

interface Waiter {
  chatId: number
  userId: number | undefined
  buttonsOf: number | undefined
  acceptText: boolean
  resolve: (a: Answer) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

export type Offer = 'answered' | 'not_yours' | 'none'

export class Dialogs {
  private readonly byUser = new Map<string, Waiter>()
  private readonly byQuestion = new Map<string, Waiter>()

  get size (): number { return this.byUser.size }

  /** Waits for the user's answer in the chat; a second question to the same user in the same chat ends the first. */
  async wait (chatId: number, userId: number | undefined, options: WaitOptions): Promise<Answer> {
    const key = userKey(chatId, userId)
    this.byUser.get(key)?.reject(new ToolkitError('DIALOG_REPLACED', `a newer question in chat ${chatId} replaced this one`))
    return await new Promise<Answer>((resolve, reject) => {
      const timeoutMs = Math.max(1, options.timeoutMs)
      const waiter: Waiter = {
        chatId, userId, buttonsOf: options.buttonsOf, acceptText: options.acceptText ?? options.buttonsOf === undefined,
        resolve: a => { this.remove(waiter); resolve(a) },
        reject: e => { this.remove(waiter); reject(e) },
        timer: setTimeout(() => { waiter.reject(new DialogTimeoutError(chatId, userId, timeoutMs)) }, timeoutMs)
      }
      this.byUser.set(key, waiter)
      if (waiter.buttonsOf !== undefined) this.byQuestion.set(questionKey(chatId, waiter.buttonsOf), waiter)
    })
  }

  /** A message from `userId` in the chat: true when it answered that user's question. */
  offerMessage (chatId: number, userId: number | undefined, text: string, message: Message): boolean {
    const waiter = this.byUser.get(userKey(chatId, userId))
    if (waiter === undefined || !waiter.acceptText) return false
    waiter.resolve({ kind: 'text', text, message })
    return true
  }

  /** A button press on message `messageId`. */
  offerButton (chatId: number, userId: number, messageId: number, id: string): Offer {
    const waiter = this.byQuestion.get(questionKey(chatId, messageId))
    if (waiter === undefined) return 'none'
    if (waiter.userId !== undefined && waiter.userId !== userId) return 'not_yours'
    waiter.resolve({ kind: 'button', id, messageId })
    return 'answered'
  }

  close (): void {
    for (const w of [...this.byUser.values()]) w.reject(new ToolkitError('STOPPED', 'the toolkit stopped while a question was waiting'))
  }

  private remove (w: Waiter): void {
    clearTimeout(w.timer)
    const key = userKey(w.chatId, w.userId)
    if (this.byUser.get(key) === w) this.byUser.delete(key)
    if (w.buttonsOf !== undefined && this.byQuestion.get(questionKey(w.chatId, w.buttonsOf)) === w) this.byQuestion.delete(questionKey(w.chatId, w.buttonsOf))
  }
}

function userKey (chatId: number, userId: number | undefined): string { return `${chatId}:${userId ?? 'chat'}` }
function questionKey (chatId: number, messageId: number): string { return `${chatId}:${messageId}` }

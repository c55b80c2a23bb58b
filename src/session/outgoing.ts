/**
 * An update as the broker sends it: TDLib's object plus the session id and
 * the session's sequence number. It is serialised once, however many
 * connections receive it, and the TDLib object itself is never modified
 * (a backend may share it between sessions).
 */
import type { TdObject } from '../tdlib/backend.js'
import { updateChat } from '../policy/chats.js'
import { mayHoldPaths, stripLocalPaths } from '../policy/local-paths.js'

export class OutgoingUpdate {
  private cached: string | undefined
  private withoutPaths: string | undefined
  private chat: number | null | undefined
  /** The policy whose verdict `verdict` is: connections of one client (or all, without a clients list) share one. */
  private judgedBy: object | undefined
  private verdict = false
  /**
   * When the update was made (performance.now()): the connections it goes to
   * tell a stream from a lone update by it, with one clock reading for all of them.
   */
  readonly at = performance.now()
  constructor (readonly sessionId: string, readonly seq: number, readonly update: TdObject) {}

  /**
   * Whether `policy` lets this update through, worked out by `judge` once
   * per policy in a row: the connections an update goes to mostly share
   * their policy, and what it says depends on nothing else.
   */
  acceptedBy<P extends object> (policy: P, judge: (policy: P, update: OutgoingUpdate) => boolean): boolean {
    if (this.judgedBy !== policy) {
      this.verdict = judge(policy, this)
      this.judgedBy = policy
    }
    return this.verdict
  }

  get type (): string { return this.update['@type'] }

  /** The chat the update is about (policy/chats.ts), or undefined when it names none; worked out once. */
  get chatId (): number | undefined {
    if (this.chat === undefined) this.chat = updateChat(this.update) ?? null
    return this.chat ?? undefined
  }

  /** The wire line, without the trailing newline. */
  line (): string {
    if (this.cached === undefined) {
      const json = JSON.stringify(this.update)
      this.cached = json.slice(0, -1) + `,"@session":"${this.sessionId}","@seq":${this.seq}}`
    }
    return this.cached
  }

  /**
   * The wire line with the broker's local paths blanked (policy/local-paths.ts),
   * for clients without local_files: the same string as line() unless the
   * update holds a path, so most updates are still encoded once.
   */
  lineWithoutPaths (): string {
    if (this.withoutPaths === undefined) {
      const full = this.line()
      if (!mayHoldPaths(full)) this.withoutPaths = full
      else this.withoutPaths = JSON.stringify(stripLocalPaths(this.update)).slice(0, -1) + `,"@session":"${this.sessionId}","@seq":${this.seq}}`
    }
    return this.withoutPaths
  }
}

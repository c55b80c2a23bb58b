/**
 * A call's client going away before its answer: a waiting getUpdates ends
 * then, so that a poll nobody reads neither holds the consumer's updates nor
 * stays its waiting poll. Lighter than an AbortSignal, which every long poll
 * made (about a twentieth of the broker's CPU per delivery at 100
 * consumers): one listener at a time, as a poll waits once.
 */
export class Departure {
  private listener: (() => void) | undefined
  private left = false

  /** Whether the client has gone. */
  get gone (): boolean { return this.left }

  /** The client went: the listener, if one is set, is called once. */
  leave (): void {
    if (this.left) return
    this.left = true
    const listener = this.listener
    this.listener = undefined
    listener?.()
  }

  /** `fn` is called when the client goes (in place of an earlier one); `off(fn)` undoes it. */
  on (fn: () => void): void { this.listener = fn }

  off (fn: () => void): void {
    if (this.listener === fn) this.listener = undefined
  }
}

/**
 * An update as the broker sends it: TDLib's object plus the session id and
 * the session's sequence number. It is serialised once, however many
 * connections receive it, and the TDLib object itself is never modified
 * (a backend may share it between sessions).
 */
import type { TdObject } from '../tdlib/backend.js'

export class OutgoingUpdate {
  private cached: string | undefined
  constructor (readonly sessionId: string, readonly seq: number, readonly update: TdObject) {}

  get type (): string { return this.update['@type'] }

  /** The wire line, without the trailing newline. */
  line (): string {
    if (this.cached === undefined) {
      const json = JSON.stringify(this.update)
      this.cached = json.slice(0, -1) + `,"@session":"${this.sessionId}","@seq":${this.seq}}`
    }
    return this.cached
  }
}

/**
 * One Telegram account: one TDLib client and the connections attached to it.
 *
 * Lifecycle (explicit states; stop is safe to call in any state):
 *   stopped --attach--> starting --ok--> running --idle/stop--> stopping --> stopped
 *                          \--fail--> stopped            \--TDLib closed itself--> stopped
 * The first attach starts the TDLib client; the last detach schedules a stop
 * after terminate_delay seconds, which another attach cancels.
 */
import { mkdir } from 'node:fs/promises'
import type { Logger } from '../log/logger.js'
import { redactSecrets } from '../log/redact.js'
import type { Settings } from '../settings/types.js'
import { isTdError, type TdBackend, type TdClient, type TdObject } from '../tdlib/backend.js'
import { BrokerError } from '../errors.js'
import { OutgoingUpdate } from './outgoing.js'
import { addProxyRequest, tdlibParameters } from './tdlib-parameters.js'

export type SessionState = 'stopped' | 'starting' | 'running' | 'stopping'

/** A connection as a session sees it. */
export interface SessionMember {
  readonly id: string
  /** Called for every update of the session; must not throw. */
  deliver(update: OutgoingUpdate): void
  /** The session stopped while this member was attached (it is detached). */
  sessionEnded(sessionId: string, reason: string): void
}

export interface SessionContext {
  readonly settings: Settings
  readonly backend: TdBackend
  readonly log: Logger
}

/** How long a TDLib client may take to accept its parameters before the start fails. */
const START_TIMEOUT_MS = 30_000

export class Session {
  private stateValue: SessionState = 'stopped'
  private client: TdClient | undefined
  private readonly members = new Set<SessionMember>()
  /** The member whose attach started the client: it alone receives catch-up updates with offline: true. */
  private starter: SessionMember | undefined
  private seq = 0
  private lastAuthState: OutgoingUpdate | undefined
  private lastConnectionState: OutgoingUpdate | undefined
  private catchingUp = false
  private stopTimer: NodeJS.Timeout | undefined
  private transition: Promise<void> | undefined
  private readonly log: Logger

  constructor (readonly id: string, readonly directory: string, private readonly ctx: SessionContext) {
    this.log = ctx.log.child({ session: id })
  }

  get state (): SessionState { return this.stateValue }
  get memberCount (): number { return this.members.size }
  /** The last sequence number given to an update of this session. */
  get lastSeq (): number { return this.seq }
  /** The session's authorization state type, when known (e.g. authorizationStateReady). */
  get authorizationState (): string | undefined {
    const state = this.lastAuthState?.update.authorization_state as TdObject | undefined
    return state?.['@type']
  }

  hasMember (member: SessionMember): boolean { return this.members.has(member) }

  /**
   * Attaches a connection, starting the TDLib client if needed. Resolves once
   * the session runs; rejects with SESSION_START_FAILED if it cannot start.
   * A member that joins a running session first receives the current
   * authorization and connection state updates.
   */
  async attach (member: SessionMember): Promise<void> {
    this.cancelStop()
    for (;;) {
      switch (this.stateValue) {
        case 'running': {
          if (this.members.has(member)) return
          this.members.add(member)
          if (this.lastAuthState !== undefined) member.deliver(this.lastAuthState)
          if (this.lastConnectionState !== undefined) member.deliver(this.lastConnectionState)
          return
        }
        case 'stopping':
          await this.transition
          continue
        case 'stopped':
          this.starter = member
          this.members.add(member)
          this.transition = this.start()
          break
        case 'starting':
          this.members.add(member)
          break
      }
      try {
        await this.transition
      } catch (e) {
        this.detach(member)
        throw e
      }
      return
    }
  }

  /** Detaches a connection; the last one out schedules the stop. Returns false if it was not attached. */
  detach (member: SessionMember): boolean {
    if (!this.members.delete(member)) return false
    if (this.starter === member) this.starter = undefined
    if (this.members.size === 0) this.scheduleStop()
    return true
  }

  /** Sends a TDLib request and resolves with TDLib's answer (an `error` object when TDLib refuses). */
  async invoke (request: TdObject): Promise<TdObject> {
    if (this.stateValue === 'starting') await this.transition
    const client = this.client
    if (this.stateValue !== 'running' || client === undefined) {
      throw new BrokerError('SESSION_CLOSED', `session ${this.id} is ${this.stateValue}`)
    }
    try {
      return await client.invoke(request)
    } catch (e) {
      throw new BrokerError('SESSION_CLOSED', `session ${this.id} closed before answering (${errorText(e)})`)
    }
  }

  /** Stops the TDLib client cleanly; attached members are told and detached. Idempotent. */
  async stop (reason: string): Promise<void> {
    this.cancelStop()
    if (this.stateValue === 'starting') await this.transition?.catch(() => {})
    if (this.stateValue === 'stopping') return await this.transition
    if (this.stateValue !== 'running') return
    this.stateValue = 'stopping'
    const client = this.client
    this.transition = (async () => {
      await client?.close()
      this.client = undefined
      this.stateValue = 'stopped'
      this.log.info({ reason }, 'session stopped')
      this.endMembers(reason)
    })()
    await this.transition
  }

  private async start (): Promise<void> {
    this.stateValue = 'starting'
    this.catchingUp = false
    this.lastAuthState = undefined
    this.lastConnectionState = undefined
    this.log.info('session starting')
    let client: TdClient | undefined
    try {
      await mkdir(this.directory, { recursive: true })
      const { backend, settings } = this.ctx
      client = backend.createClient({ sessionId: this.id, directory: this.directory }, {
        onUpdate: update => { this.onUpdate(client, update) },
        onClosed: reason => { this.onClosed(client, reason) }
      })
      this.client = client
      const params = tdlibParameters(settings, backend.kind, this.directory)
      if (params === undefined) {
        this.log.warn('tdlib.api_id and tdlib.api_hash are not set: the session waits for TDLib parameters and cannot log in')
      } else {
        await this.expectOk(client, params, 'setTdlibParameters')
      }
      if (settings.tdlib.proxy !== undefined) await this.expectOk(client, addProxyRequest(settings.tdlib.proxy), 'addProxy')
      this.stateValue = 'running'
      this.log.info('session started')
    } catch (e) {
      this.client = undefined
      this.stateValue = 'stopped'
      await client?.close().catch(() => {})
      this.log.error({ err: errorText(e) }, 'session failed to start')
      throw e instanceof BrokerError ? e : new BrokerError('SESSION_START_FAILED', `session ${this.id}: ${errorText(e)}`)
    }
  }

  private async expectOk (client: TdClient, request: TdObject, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`TDLib did not answer ${what} within ${START_TIMEOUT_MS / 1000} s`)) }, START_TIMEOUT_MS)
    })
    try {
      const answer = await Promise.race([client.invoke(request), timeout])
      if (isTdError(answer)) throw new BrokerError('SESSION_START_FAILED', `session ${this.id}: ${what} failed: ${answer.code} ${answer.message}`)
      if (this.client !== client) throw new Error(`TDLib closed during ${what}`)
    } finally {
      clearTimeout(timer)
    }
  }

  private onUpdate (client: TdClient | undefined, update: TdObject): void {
    if (client === undefined || client !== this.client) return
    const type = update['@type']
    let onlyStarter = false
    if (type === 'updateAuthorizationState') {
      const state = (update.authorization_state as TdObject | undefined)?.['@type']
      // The broker answers this state itself; clients could not anyway.
      if (state === 'authorizationStateWaitTdlibParameters' &&
        tdlibParameters(this.ctx.settings, this.ctx.backend.kind, this.directory) !== undefined) return
    } else if (type === 'updateConnectionState') {
      this.catchingUp = (update.state as TdObject | undefined)?.['@type'] === 'connectionStateUpdating'
    } else if (this.catchingUp) {
      // What TDLib fetches while connectionStateUpdating happened while the
      // session was stopped: siptg's `offline` option gives it to the
      // connection that started the session, or drops it.
      if (!this.ctx.settings.offline) {
        this.log.debug({ type }, 'catch-up update dropped (offline: false)')
        return
      }
      onlyStarter = true
    }
    const out = new OutgoingUpdate(this.id, ++this.seq, update)
    if (this.log.isLevelEnabled('trace')) this.log.trace({ seq: out.seq, update: redactSecrets(update) }, 'update')
    if (type === 'updateAuthorizationState') this.lastAuthState = out
    else if (type === 'updateConnectionState') this.lastConnectionState = out
    if (onlyStarter) {
      if (this.starter !== undefined) this.starter.deliver(out)
      return
    }
    for (const member of this.members) member.deliver(out)
  }

  private onClosed (client: TdClient | undefined, reason: Error | undefined): void {
    if (client === undefined || client !== this.client) return
    this.client = undefined
    // During start the pending request fails and start() reports it; during
    // stop, stop() finishes the transition.
    if (this.stateValue !== 'running') return
    const why = reason === undefined ? 'TDLib closed the session (close, logOut or destroy)' : `TDLib failed: ${reason.message}`
    this.stateValue = 'stopped'
    this.log.warn({ reason: why }, 'session closed by TDLib')
    this.endMembers(why)
  }

  private endMembers (reason: string): void {
    const members = [...this.members]
    this.members.clear()
    this.starter = undefined
    for (const member of members) member.sessionEnded(this.id, reason)
  }

  private scheduleStop (): void {
    this.cancelStop()
    if (this.stateValue === 'stopped' || this.stateValue === 'stopping') return
    const delay = this.ctx.settings.terminate_delay * 1000
    this.stopTimer = setTimeout(() => {
      this.stopTimer = undefined
      if (this.members.size === 0) void this.stop('no client attached for terminate_delay').catch(e => { this.log.error({ err: errorText(e) }, 'stop failed') })
    }, delay)
  }

  private cancelStop (): void {
    if (this.stopTimer !== undefined) clearTimeout(this.stopTimer)
    this.stopTimer = undefined
  }
}

function errorText (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

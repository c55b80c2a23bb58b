/**
 * One client connection, whatever its transport: reads protocol objects,
 * answers control requests, passes TDLib requests through the pipeline and
 * receives the updates of the sessions it is attached to.
 *
 * Bounded: at most max_pending_requests in flight (reading pauses beyond
 * that), and at most max_client_queue bytes waiting to be written (beyond
 * that the client is too slow and the connection is closed, so it can never
 * stall the session or the other clients).
 */
import type { Logger } from '../log/logger.js'
import { redactSecrets } from '../log/redact.js'
import { BrokerError } from '../errors.js'
import type { OutgoingUpdate } from '../session/outgoing.js'
import type { Session, SessionMember } from '../session/session.js'
import type { TdObject } from '../tdlib/backend.js'
import type { BrokerCore } from './core.js'
import { handleControl } from './control.js'
import type { ClientIdentity } from './pipeline.js'
import type { Transport } from './transport.js'
import { parseLine, replyLine, tdlibRequest, WireError, type ReplyTo } from './wire.js'

export type ConnectionState = 'open' | 'closing' | 'closed'

export class Connection implements SessionMember {
  readonly id: string
  readonly log: Logger
  identity: ClientIdentity
  private stateValue: ConnectionState = 'open'
  private readonly attached = new Set<Session>()
  private pending = 0
  private readingPaused = false

  constructor (readonly transport: Transport, readonly core: BrokerCore, id: string) {
    this.id = id
    this.log = core.log.child({ conn: id, remote: transport.remote, transport: transport.kind })
    this.identity = { name: 'anonymous', connectionId: id, remote: transport.remote, policy: core.policy }
  }

  get state (): ConnectionState { return this.stateValue }
  get sessions (): ReadonlySet<Session> { return this.attached }

  /** Handles one protocol object (a line for TCP/TLS, a message for WebSocket). */
  receive (line: string): void {
    if (this.stateValue !== 'open') return
    let replyTo: ReplyTo = { hasExtra: false, extra: undefined }
    try {
      const incoming = parseLine(line)
      replyTo = { hasExtra: incoming.hasExtra, extra: incoming.extra }
      if (this.core.shuttingDown) throw new BrokerError('BROKER_SHUTTING_DOWN')
      if (this.log.isLevelEnabled('trace')) this.log.trace({ request: redactSecrets(incoming.message) }, 'request')
      this.trackPending(incoming.type.startsWith('broker.')
        ? handleControl(this, incoming)
        : this.handleTdlib(incoming.message, incoming.type, replyTo), replyTo)
    } catch (e) {
      if (e instanceof WireError) this.sendError(e.replyTo, e.error)
      else this.sendError(replyTo, e)
    }
  }

  /** Sends a line, closing the connection if the client lets too much pile up. */
  send (line: string): void {
    if (this.stateValue !== 'open') return
    this.transport.send(line)
    const queued = this.transport.bufferedBytes()
    if (queued > this.core.settings.max_client_queue) {
      this.log.warn({ queued, limit: this.core.settings.max_client_queue }, 'client too slow: output queue over max_client_queue; closing')
      this.close('output queue overflow', true)
    }
  }

  sendReply (object: TdObject, to: ReplyTo): void { this.send(replyLine(object, to)) }

  sendError (to: ReplyTo, e: unknown): void {
    const error = e instanceof BrokerError ? e : new BrokerError('INVALID_REQUEST', e instanceof Error ? e.message : String(e))
    if (!(e instanceof BrokerError)) this.log.error({ err: error.message }, 'unexpected error while handling a request')
    this.sendReply(error.toTd(), to)
  }

  deliver (update: OutgoingUpdate): void {
    if (this.stateValue !== 'open' || !this.identity.policy.allowsUpdate(update.type)) return
    this.send(update.line())
  }

  sessionEnded (sessionId: string, reason: string): void {
    const session = this.core.registry.get(sessionId)
    if (session !== undefined) this.attached.delete(session)
    this.send(JSON.stringify({ '@type': 'broker.sessionClosed', '@session': sessionId, reason }))
  }

  /**
   * Attaches to a session (starting it if needed) and remembers it. The
   * connection counts as attached from the moment it asks, so requests it
   * pipelines behind the attach wait for the session to start instead of
   * being refused.
   */
  async attach (session: Session): Promise<void> {
    const already = this.attached.has(session)
    this.attached.add(session)
    try {
      await session.attach(this)
    } catch (e) {
      if (!already) this.attached.delete(session)
      throw e
    }
    if (this.stateValue !== 'open') {
      session.detach(this)
      return
    }
    if (!already) this.log.info({ session: session.id }, 'attached')
  }

  detach (session: Session): boolean {
    this.attached.delete(session)
    const was = session.detach(this)
    if (was) this.log.info({ session: session.id }, 'detached')
    return was
  }

  /**
   * Closes the connection and detaches it from every session. With `now`,
   * queued output is dropped (used for protocol violations and slow clients).
   */
  close (reason: string, now = false): void {
    if (this.stateValue !== 'open') return
    this.stateValue = 'closing'
    for (const session of this.attached) session.detach(this)
    this.attached.clear()
    this.log.info({ reason }, 'client disconnected')
    if (now) this.transport.destroy()
    else this.transport.end()
    this.stateValue = 'closed'
    this.core.forget(this)
  }

  private async handleTdlib (message: Record<string, unknown>, type: string, replyTo: ReplyTo): Promise<void> {
    const sessionId = message['@session']
    if (sessionId === undefined) throw new BrokerError('MISSING_SESSION', `${type} names no @session`)
    const session = this.core.registry.resolve(sessionId)
    const to: ReplyTo = { ...replyTo, session: session.id }
    try {
      if (!this.attached.has(session)) throw new BrokerError('NOT_ATTACHED', `attach to session ${session.id} first (broker.attachSession)`)
      const answer = await this.core.execute({ client: this.identity, session, request: tdlibRequest(message), log: this.log })
      if (this.log.isLevelEnabled('trace')) this.log.trace({ session: session.id, response: redactSecrets(answer) }, 'response')
      this.sendReply(answer, to)
    } catch (e) {
      this.sendError(to, e)
    }
  }

  private trackPending (work: Promise<void>, replyTo: ReplyTo): void {
    this.pending++
    if (!this.readingPaused && this.pending >= this.core.settings.max_pending_requests) {
      this.readingPaused = true
      this.transport.pauseReading()
    }
    work.catch(e => { this.sendError(replyTo, e) }).finally(() => {
      this.pending--
      if (this.readingPaused && this.pending < this.core.settings.max_pending_requests) {
        this.readingPaused = false
        this.transport.resumeReading()
      }
    })
  }
}

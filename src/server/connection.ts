/**
 * One client connection, whatever its transport: reads protocol objects,
 * answers control requests, passes TDLib requests through the pipeline and
 * receives the updates of the sessions it is attached to.
 *
 * Who it is: with a clients list in settings, a connection starts `pending`
 * (only broker.authenticate, broker.ping and broker.getVersion are answered)
 * unless its TLS client certificate names a client; broker.authenticate
 * with a client's name and key makes it that client. Its policy is the
 * global whitelists narrowed by that client's scope, and is swapped on
 * reload (reevaluate).
 *
 * Bounded: at most max_pending_requests in flight (reading pauses beyond
 * that), and at most max_client_queue bytes waiting to be written (beyond
 * that the client is too slow and the connection is closed, so it can never
 * stall the session or the other clients).
 *
 * Timed: with a clients list, a pending connection that has not
 * authenticated within auth_timeout is closed (AUTH_TIMEOUT), and its lines
 * are limited to max_frame_size_unauthenticated until it has; a connection
 * attached to no session that sends nothing for idle_timeout is closed
 * (IDLE_TIMEOUT).
 */
import type { AuditEvent } from '../audit/audit.js'
import { AuthFailure, authenticateKey } from '../clients/authenticate.js'
import { certificateMatches, type ClientEntry } from '../clients/directory.js'
import { remoteAddress } from '../clients/throttle.js'
import type { Logger } from '../log/logger.js'
import { redactSecrets } from '../log/redact.js'
import { boundText } from '../log/bound.js'
import { BrokerError, type BrokerErrorName } from '../errors.js'
import { authorizationStateView } from '../policy/account.js'
import { ALWAYS_ALLOWED_UPDATES, DENY_ALL, type ClientPolicy } from '../policy/policy.js'
import type { OutgoingUpdate } from '../session/outgoing.js'
import type { ResumeResult, Session, SessionMember } from '../session/session.js'
import { isSessionId } from '../session/session-id.js'
import type { TdObject } from '../tdlib/backend.js'
import type { BrokerCore } from './core.js'
import { handleControl, type ControlReply } from './control.js'
import type { ClientIdentity } from './pipeline.js'
import type { Transport } from './transport.js'
import { attachedAdd, attachedDelete, attachedHas, attachedList, type Attached } from './attached.js'
import { disconnectReason, errorOutcome } from '../metrics/outcome.js'
import { NO_REPLY_TO, parseLine, replyLine, tdlibRequest, WireError, type ReplyTo } from './wire.js'

export type ConnectionState = 'open' | 'closing' | 'closed'

/** Control requests a connection may send before it has proved who it is. */
export const BEFORE_AUTH: ReadonlySet<string> = new Set(['broker.authenticate', 'broker.ping', 'broker.getVersion'])

/** Refusals worth an audit record, with the log message of each. */
const REFUSALS: Partial<Record<BrokerErrorName, string>> = {
  REQUEST_NOT_ALLOWED: 'request refused: not allowed',
  REQUEST_RESERVED: 'reserved request refused',
  AUTH_REQUIRED: 'request refused: not authenticated',
  SESSION_NOT_ALLOWED: 'request refused: session outside the scope',
  SESSION_CREATE_NOT_ALLOWED: 'request refused: may not create sessions',
  CHAT_NOT_ALLOWED: 'request refused: chat outside the scope',
  LOCAL_FILE_NOT_ALLOWED: 'request refused: local file not allowed',
  ANSWER_WITHHELD: 'answer withheld: a type outside the chat scope',
  RATE_LIMITED: 'request refused: over the client rate_limit',
  FLOOD_WAIT_GUARDED: 'request held: the session is under a FLOOD_WAIT (flood_wait_guard)'
}

/**
 * Updates less than this apart (ms) are a stream: they may wait briefly to
 * leave together (output-batch.ts). Not 1 ms: a stream paced by a 1 ms timer
 * (setTimeout never fires sooner) came just over it, so every tick's first
 * update was taken for a lone one and flushed its batch at once.
 */
const STREAM_GAP_MS = 2

/** What a request was about, for the audit of its refusal. */
interface RequestAbout { type?: string, session?: string }

/** A transport's framing, whose longest frame follows the connection's frameLimit. */
export interface FrameLimited { setMaxFrame(limit: number): void }

/** What reevaluate did to a connection. */
export interface Reevaluation { closed: boolean, revoked: number }

export class Connection implements SessionMember {
  readonly id: string
  /** The connection's logger, made when first needed: most connections never log beyond their connect and disconnect lines. */
  private logger: Logger | undefined
  identity: ClientIdentity
  /** The clients entry it proved to be (undefined while pending or without a clients list). */
  private client: ClientEntry | undefined
  private stateValue: ConnectionState = 'open'
  /** The sessions it is attached to (attached.ts: most connections have one, and keep no Set for it). */
  private attached: Attached<Session>
  private pending = 0
  private readingPaused = false
  /** The client half-closed: it sends nothing more and leaves once answered. */
  private inputDone = false
  /** Lines that arrived while broker.authenticate was being checked; undefined the rest of the time. */
  private held: string[] | undefined
  private authRequiredSeen = 0
  private authTimer: NodeJS.Timeout | undefined
  /** Takes a waiting authentication out of the throttle's queue when the connection closes. */
  private authAbort: AbortController | undefined
  private idleTimer: NodeJS.Timeout | undefined
  /** Set by the transport's binding: its framing, which follows frameLimit. */
  private framing: FrameLimited | undefined
  /** Set when a reload takes the client away, for the disconnect metric. */
  private revokedAccess = false
  /** When the last update was sent (performance.now()): updates closer together than STREAM_GAP_MS are a stream. */
  private lastUpdateAt = -Infinity

  constructor (readonly transport: Transport, readonly core: BrokerCore, id: string) {
    this.id = id
    this.identity = this.initialIdentity()
  }

  /** A child of the broker's logger naming the connection (a child each costs memory that every idle connection would keep). */
  get log (): Logger {
    return this.logger ??= this.core.log.child(this.logBindings())
  }

  private logBindings (): { conn: string, remote: string, transport: string } {
    return { conn: this.id, remote: this.transport.remote, transport: this.transport.kind }
  }

  get state (): ConnectionState { return this.stateValue }
  /** The sessions it is attached to (a copy). */
  get sessions (): Session[] { return attachedList(this.attached) }
  isAttached (session: Session): boolean { return attachedHas(this.attached, session) }

  /** The longest line (or WebSocket message) accepted now: smaller until the connection has authenticated. */
  get frameLimit (): number {
    const s = this.core.settings
    return this.identity.auth === 'pending' ? Math.min(s.max_frame_size_unauthenticated, s.max_frame_size) : s.max_frame_size
  }

  /** The setting frameLimit comes from, for error messages. */
  get frameLimitName (): string {
    return this.identity.auth === 'pending' ? 'max_frame_size_unauthenticated (the limit before authentication)' : 'max_frame_size'
  }

  /** The transport's binding calls this so that its framing follows frameLimit when it changes. */
  watchFrameLimit (framing: FrameLimited): void {
    this.framing = framing
    framing.setMaxFrame(this.frameLimit)
  }

  /** Logs the new connection (and audits a certificate that identified it). Called once it is registered. */
  opened (): void {
    // The same line as through this.log, which need not exist for it.
    this.core.log.info({ ...this.logBindings(), client: this.identity.name, auth: this.identity.auth }, 'client connected')
    const authTimeout = this.core.settings.auth_timeout
    if (this.identity.auth === 'pending' && authTimeout > 0) {
      this.authTimer = setTimeout(() => { this.authDeadline(authTimeout) }, authTimeout * 1000).unref()
    }
    this.armIdle()
    if (this.identity.auth === 'certificate') {
      this.audit('info', 'auth.ok', 'client authenticated', { method: 'certificate', subject: this.transport.peerCertificate?.subject })
    }
  }

  /** Handles one protocol object (a line for TCP/TLS, a message for WebSocket). */
  receive (line: string): void {
    if (this.stateValue !== 'open') return
    this.idleTimer?.refresh()
    if (this.held !== undefined) {
      this.held.push(line)
      return
    }
    let replyTo: ReplyTo = NO_REPLY_TO
    let about: RequestAbout = {}
    try {
      const incoming = parseLine(line)
      replyTo = incoming.replyTo
      const { type, message } = incoming
      const named = typeof message['@session'] === 'string' ? message['@session'] : message.session
      about = typeof named === 'string' ? { type, session: named } : { type }
      if (this.core.shuttingDown) throw new BrokerError('BROKER_SHUTTING_DOWN')
      if (this.core.log.isLevelEnabled('trace')) {
        // redactSecrets blanks broker.authenticate's key too, and cuts what a client could make huge.
        this.log.trace({ request: redactSecrets(message) }, 'request')
      }
      if (this.identity.auth === 'pending' && !BEFORE_AUTH.has(type)) {
        throw new BrokerError('AUTH_REQUIRED', `${type} needs an authenticated connection: send broker.authenticate first, or connect with a client certificate`)
      }
      this.trackPending(type.startsWith('broker.')
        ? handleControl(this, incoming)
        : this.handleTdlib(message, type, replyTo), replyTo, about)
    } catch (e) {
      if (e instanceof WireError) this.sendErrorSafely(e.replyTo, e.error)
      else this.sendErrorSafely(replyTo, e, about)
    }
  }

  /**
   * sendError for the paths where nothing else would catch a throw (the
   * socket's data handler, a promise's last catch): if even the error cannot
   * be sent, the connection is closed, and the process carries on.
   */
  private sendErrorSafely (to: ReplyTo, e: unknown, about: RequestAbout = {}): void {
    try {
      this.sendError(to, e, about)
    } catch (failure) {
      this.log.error({ err: failure instanceof Error ? failure.message : String(failure) }, 'could not send an error answer; closing the connection')
      try {
        this.close('internal error', true)
      } catch {
        // Nothing is left to tell: the log line above says what failed.
      }
    }
  }

  /**
   * Sends a line, closing the connection if the client lets too much pile
   * up. `more`: more output follows soon, so the line may wait to leave with
   * it (output-batch.ts).
   */
  send (line: string, more = false): void {
    if (this.stateValue !== 'open') return
    this.transport.send(line, more)
    const queued = this.transport.bufferedBytes()
    if (queued > this.core.settings.max_client_queue) {
      this.log.warn({ queued, limit: this.core.settings.max_client_queue }, 'client too slow: output queue over max_client_queue; closing')
      this.close('output queue overflow', true)
    }
  }

  sendReply (object: TdObject, to: ReplyTo): void { this.send(replyLine(object, to)) }

  /** Answers with an error; policy refusals are audited with what the request was about. */
  sendError (to: ReplyTo, e: unknown, about: RequestAbout = {}): void {
    // An unexpected error's own text stays in the log: it may name the broker's files or internals.
    const error = e instanceof BrokerError ? e : new BrokerError('INTERNAL_ERROR', `the broker failed while handling ${about.type ?? 'the request'}; its log has the details (connection ${this.id})`)
    if (!(e instanceof BrokerError)) this.log.error({ err: boundText(e instanceof Error ? e.message : String(e)), type: about.type }, 'unexpected error while handling a request')
    const refusal = REFUSALS[error.errorName]
    // An unauthenticated connection is audited once, so it cannot flood the audit trail.
    const repeated = error.errorName === 'AUTH_REQUIRED' && this.authRequiredSeen++ > 0
    if (refusal !== undefined && !repeated) {
      const session = to.session ?? about.session
      this.audit('warn', 'request.refused', refusal, {
        ...(about.type === undefined ? {} : { type: about.type }),
        ...(session === undefined ? {} : { session }),
        reason: error.errorName
      })
    }
    this.sendReply(error.toTd(), to)
  }

  /** Sends an update if this connection's policy lets it through; says whether it did. */
  deliver (update: OutgoingUpdate): boolean {
    const metrics = this.core.metrics
    if (this.stateValue !== 'open') {
      metrics.update('dropped')
      return false
    }
    const policy = this.identity.policy
    if (!update.acceptedBy(policy, policyAccepts)) {
      metrics.update('filtered')
      return false
    }
    metrics.update('delivered')
    if (policy.chats !== undefined && update.chatId !== undefined) policy.seen?.note(update.sessionId, update.update, update.chatId)
    // The login flow (QR link, code info, password hint) only for clients allowed it (policy/account.ts).
    if (!policy.login && update.type === 'updateAuthorizationState') {
      this.send(JSON.stringify({ ...authorizationStateView(update.update), '@session': update.sessionId, '@seq': update.seq }))
      return true
    }
    // Updates in a stream (the last one came moments ago) may leave together.
    const more = update.at - this.lastUpdateAt < STREAM_GAP_MS
    this.lastUpdateAt = update.at
    this.send(policy.localFiles.length > 0 ? update.line() : update.lineWithoutPaths(), more)
    return true
  }

  /** Whether this connection's policy lets an update of this type, about this chat, through. */
  accepts (type: string, chatId: number | undefined): boolean {
    return policyLetsThrough(this.identity.policy, type, chatId)
  }

  updatesLost (sessionId: string, fromSeq: number, toSeq: number): void {
    this.send(JSON.stringify({ '@type': 'broker.updatesLost', '@session': sessionId, from_seq: fromSeq, to_seq: toSeq }))
  }

  sessionEnded (sessionId: string, reason: string): void {
    const session = this.core.registry.get(sessionId)
    if (session !== undefined && attachedHas(this.attached, session)) {
      this.attached = attachedDelete(this.attached, session)
      this.audit('info', 'session.detach', 'detached', { session: sessionId, reason: 'session closed' })
      this.leftSession()
    }
    this.send(JSON.stringify({ '@type': 'broker.sessionClosed', '@session': sessionId, reason }))
  }

  /**
   * A session by a client-supplied id, if this connection may see it. An id
   * outside the scope gets SESSION_NOT_ALLOWED whether or not the session
   * exists, so a client learns nothing about sessions it may not see.
   */
  visibleSession (id: unknown): Session {
    const registry = this.core.registry
    // A session the registry holds has a valid id: the id check (a pattern and a BigInt) is for the others.
    const known = typeof id === 'string' ? registry.get(id) : undefined
    if (known === undefined && !isSessionId(id)) return registry.resolve(id) // throws INVALID_SESSION_ID
    if (!this.identity.policy.allowsSession(known ?? { id: id as string })) {
      throw new BrokerError('SESSION_NOT_ALLOWED', `session ${String(id)} is not in the scope of client ${this.identity.name}`)
    }
    return known ?? registry.resolve(id) // throws UNKNOWN_SESSION
  }

  /**
   * Attaches to a session (starting it if needed) and remembers it; with
   * `lastSeq`, replays what was missed first (Session.attach). The
   * connection counts as attached from the moment it asks, so requests it
   * pipelines behind the attach wait for the session to start instead of
   * being refused.
   */
  async attach (session: Session, lastSeq?: number): Promise<ResumeResult | undefined> {
    const already = attachedHas(this.attached, session)
    this.attached = attachedAdd(this.attached, session)
    this.disarmIdle()
    let result: ResumeResult | undefined
    try {
      result = await session.attach(this, lastSeq)
    } catch (e) {
      if (!already) {
        this.attached = attachedDelete(this.attached, session)
        this.leftSession()
      }
      throw e
    }
    if (this.stateValue !== 'open') {
      session.detach(this)
      return result
    }
    // A reload while the session was starting may have taken it out of scope.
    if (!this.identity.policy.allowsSession(session)) {
      this.revoke(session, 'the client scope changed while attaching')
      throw new BrokerError('SESSION_NOT_ALLOWED', `session ${session.id} is no longer in the scope of client ${this.identity.name}`)
    }
    if (!already) this.audit('info', 'session.attach', 'attached', { session: session.id, ...(lastSeq === undefined ? {} : { last_seq: lastSeq }) })
    if (result !== undefined) this.core.metrics.resumed(result.replayed, result.complete)
    return result
  }

  detach (session: Session, reason = 'requested'): boolean {
    this.attached = attachedDelete(this.attached, session)
    this.leftSession()
    const was = session.detach(this)
    if (was) this.audit('info', 'session.detach', 'detached', { session: session.id, reason })
    return was
  }

  /** Audits a session this client created. */
  created (session: Session): void {
    this.audit('info', 'session.create', 'session created', { session: session.id })
  }

  /**
   * Checks broker.authenticate's name and key (behind the throttle, per
   * address and per name; the attempt leaves its queue if the connection
   * closes meanwhile). On success the connection becomes that client; on failure it
   * gets the error and is closed. Lines that arrive meanwhile wait, and are
   * handled in order once the answer is out.
   */
  async authenticate (m: Record<string, unknown>, to: ReplyTo): Promise<ControlReply | undefined> {
    if (this.identity.auth === 'open') {
      throw new BrokerError('INVALID_REQUEST', 'this broker has no clients list, so there is nothing to authenticate: every connection is trusted')
    }
    if (this.identity.auth !== 'pending') throw new BrokerError('INVALID_REQUEST', `this connection is already authenticated as ${this.identity.name}`)
    this.held = []
    this.transport.pauseReading()
    const address = remoteAddress(this.transport.remote)
    const attempted = typeof m.name === 'string' ? m.name.slice(0, 64) : undefined
    const throttle = this.core.authThrottle
    try {
      this.authAbort = new AbortController()
      const entry = await authenticateKey(this.core.clients, throttle, address, m.name, m.key, (ms, failures) => {
        // delay_ms: what the failures on record impose; waited_ms: what the attempt really waited, its queue included.
        this.log.info({ delay_ms: throttle.delayAfter(failures), waited_ms: ms, address, failures }, 'authentication delayed after earlier failures')
      }, this.authAbort.signal)
      // A reload during the check may have changed or removed the client.
      const current = this.core.clients.byName(entry.name)
      if (current === undefined || current.settings.key_hash !== entry.settings.key_hash) {
        throw new AuthFailure(new BrokerError('AUTH_FAILED'), 'the client changed while its key was checked', throttle.failures(address))
      }
      if (this.stateValue !== 'open') return undefined
      this.client = current
      this.identity = this.identityOf(current.name, 'key', current.policy)
      this.authenticated()
      this.audit('info', 'auth.ok', 'client authenticated', { method: 'key' })
      // After the answer (sent when this resolves), not before it.
      setImmediate(() => { this.releaseHeld() })
      return { '@type': 'broker.authenticated', client: current.name }
    } catch (e) {
      if (this.stateValue !== 'open') return undefined // closed while it waited its turn (auth_timeout, the peer left)
      const failure = e instanceof AuthFailure ? e : new AuthFailure(new BrokerError('AUTH_FAILED'), e instanceof Error ? e.message : String(e), 0)
      this.audit('warn', 'auth.failed', 'authentication failed', {
        ...(attempted === undefined ? {} : { attempted }), address, why: failure.why, failures: failure.failures, reason: failure.error.errorName
      })
      this.core.metrics.authFailure(failure.error.errorName)
      this.held = undefined
      this.sendReply(failure.error.toTd(), to)
      this.close('authentication failed')
      return undefined
    }
  }

  /**
   * Applies the clients and whitelists of a reload: a connection whose
   * client is gone, or whose key or certificate no longer matches, is told
   * and closed; one whose scope no longer covers a session is detached from
   * it, with a broker.sessionRevoked notice.
   */
  reevaluate (): Reevaluation {
    if (this.stateValue !== 'open') return { closed: false, revoked: 0 }
    const clients = this.core.clients
    const { auth } = this.identity
    if (!clients.required) {
      // No clients list any more: every connection is trusted with the global lists.
      this.client = undefined
      this.identity = this.identityOf(auth === 'pending' ? 'anonymous' : this.identity.name, 'open', clients.open)
      if (auth === 'pending') this.authenticated()
      return { closed: false, revoked: 0 }
    }
    if (auth === 'pending') return { closed: false, revoked: 0 }
    let entry: ClientEntry | undefined
    let why: string | undefined
    if (auth === 'open') {
      why = 'the broker now has a clients list: reconnect and authenticate'
    } else {
      entry = clients.byName(this.identity.name)
      if (entry === undefined) why = `client ${this.identity.name} was removed from the settings`
      else if (auth === 'key' && entry.settings.key_hash !== this.client?.settings.key_hash) why = `the key of client ${entry.name} was changed`
      else if (auth === 'certificate' && !certificateMatches(entry.settings, this.transport.peerCertificate)) why = `the certificate of client ${entry.name} no longer matches`
    }
    if (why !== undefined || entry === undefined) {
      const reason = why ?? 'the client is no longer known'
      this.audit('warn', 'client.revoked', 'client access revoked', { reason })
      this.send(JSON.stringify({ '@type': 'broker.clientRevoked', reason }))
      this.revokedAccess = true
      this.close(reason)
      return { closed: true, revoked: 0 }
    }
    this.client = entry
    this.identity = this.identityOf(this.identity.name, this.identity.auth, entry.policy)
    let revoked = 0
    for (const session of attachedList(this.attached)) {
      if (entry.policy.allowsSession(session)) continue
      this.revoke(session, `the scope of client ${entry.name} no longer includes this session`)
      revoked++
    }
    return { closed: false, revoked }
  }

  /**
   * Closes the connection and detaches it from every session. With `now`,
   * queued output is dropped (used for protocol violations and slow clients).
   */
  close (reason: string, now = false): void {
    if (this.stateValue !== 'open') return
    this.stateValue = 'closing'
    this.held = undefined
    clearTimeout(this.authTimer)
    this.disarmIdle()
    this.authAbort?.abort(new Error('connection closed'))
    const sessions = attachedList(this.attached)
    this.attached = undefined
    for (const session of sessions) {
      if (session.detach(this)) this.audit('info', 'session.detach', 'detached', { session: session.id, reason: 'disconnected' })
    }
    if (this.logger !== undefined) this.logger.info({ reason, client: this.identity.name }, 'client disconnected')
    else this.core.log.info({ ...this.logBindings(), reason, client: this.identity.name }, 'client disconnected')
    this.core.metrics.disconnect(disconnectReason(reason, this.core.shuttingDown, this.revokedAccess))
    if (now) this.transport.destroy()
    else this.transport.end()
    this.stateValue = 'closed'
    this.core.forget(this)
  }

  /** No longer pending: the deadline is off and the full frame size applies. */
  private authenticated (): void {
    clearTimeout(this.authTimer)
    this.authTimer = undefined
    this.framing?.setMaxFrame(this.frameLimit)
  }

  private authDeadline (seconds: number): void {
    if (this.stateValue !== 'open' || this.identity.auth !== 'pending') return
    this.sendError(NO_REPLY_TO, new BrokerError('AUTH_TIMEOUT', `not authenticated within ${seconds} s (auth_timeout); closing the connection`))
    this.close('authentication deadline passed')
  }

  /**
   * The idle timer runs only while the connection is attached to no session
   * (an attached connection is never idle): so the many idle clients of a
   * session keep no timer each. It starts again when the last session goes.
   */
  private armIdle (): void {
    const seconds = this.core.settings.idle_timeout
    if (seconds <= 0 || this.stateValue !== 'open' || this.idleTimer !== undefined) return
    this.idleTimer = setTimeout(() => { this.idleExpired(seconds) }, seconds * 1000).unref()
  }

  private disarmIdle (): void {
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
  }

  /** After a session was taken from the attached ones: with none left, the idle timer runs again. */
  private leftSession (): void {
    if (this.attached === undefined) this.armIdle()
  }

  /** A connection waiting for an answer is not idle either. */
  private idleExpired (seconds: number): void {
    if (this.stateValue !== 'open') return
    if (this.attached !== undefined || this.pending > 0 || this.held !== undefined) {
      this.idleTimer?.refresh()
      return
    }
    this.sendError(NO_REPLY_TO, new BrokerError('IDLE_TIMEOUT', `attached to no session and nothing received for ${seconds} s (idle_timeout); closing the connection`))
    this.close('idle timeout')
  }

  private initialIdentity (): ClientIdentity {
    const clients = this.core.clients
    if (!clients.required) return this.identityOf('anonymous', 'open', clients.open)
    const entry = clients.byCertificate(this.transport.peerCertificate)
    if (entry === undefined) return this.identityOf('unauthenticated', 'pending', DENY_ALL)
    this.client = entry
    return this.identityOf(entry.name, 'certificate', entry.policy)
  }

  /**
   * A new identity of this connection. Written out, not spread from the one
   * before: V8 gives every object built by a spread and more keys a shape
   * of its own, which every idle connection kept (about 350 bytes).
   */
  private identityOf (name: string, auth: ClientIdentity['auth'], policy: ClientPolicy): ClientIdentity {
    return { connectionId: this.id, remote: this.transport.remote, name, auth, policy }
  }

  private revoke (session: Session, reason: string): void {
    this.attached = attachedDelete(this.attached, session)
    this.leftSession()
    session.detach(this)
    this.audit('warn', 'session.revoked', 'detached: session no longer in scope', { session: session.id, reason })
    this.send(JSON.stringify({ '@type': 'broker.sessionRevoked', '@session': session.id, reason }))
  }

  private releaseHeld (): void {
    const held = this.held
    this.held = undefined
    if (held === undefined || this.stateValue !== 'open') return
    if (!this.readingPaused) this.transport.resumeReading()
    // Lines handled here may start another authentication, which holds the rest again.
    for (const line of held) this.receive(line)
  }

  private audit (level: 'info' | 'warn', event: AuditEvent, msg: string, fields: Record<string, unknown>): void {
    // The broker's logger when the connection has none of its own yet: the record names the connection and its address either way.
    this.core.audit.record(this.logger ?? this.core.log, level, event, msg, { client: this.identity.name, conn: this.id, remote: this.transport.remote, ...fields })
  }

  private async handleTdlib (message: Record<string, unknown>, type: string, replyTo: ReplyTo): Promise<void> {
    const sessionId = message['@session']
    let session: Session
    try {
      if (sessionId === undefined) throw new BrokerError('MISSING_SESSION', `${type} names no @session`)
      session = this.visibleSession(sessionId)
    } catch (e) {
      // Refused before the pipeline (and its metrics step): counted here.
      this.core.metrics.request(type, errorOutcome(e))
      throw e
    }
    const to: ReplyTo = { hasExtra: replyTo.hasExtra, extra: replyTo.extra, extraJson: replyTo.extraJson, session: session.id }
    try {
      if (!attachedHas(this.attached, session)) {
        this.core.metrics.request(type, 'broker_error')
        throw new BrokerError('NOT_ATTACHED', `attach to session ${session.id} first (broker.attachSession)`)
      }
      const answer = await this.core.execute({ client: this.identity, session, request: tdlibRequest(message), log: this.log })
      if (this.core.log.isLevelEnabled('trace')) this.log.trace({ session: session.id, response: redactSecrets(answer) }, 'response')
      // Not held for the answers still pending: those TDLib had ready came in this turn (tdlib/drain.ts) and leave
      // with it at the check phase; waiting for the others kept the client from sending (half the rate at 100 in flight).
      this.sendReply(answer, to)
      // The answer to the only request pending has nothing to wait for: it leaves now, before the rest of the turn.
      if (this.pending === 1) this.transport.flush?.()
    } catch (e) {
      this.sendError(to, e, { type })
    }
  }

  private trackPending (work: Promise<void>, replyTo: ReplyTo, about: RequestAbout): void {
    this.pending++
    if (!this.readingPaused && this.pending >= this.core.settings.max_pending_requests) {
      this.readingPaused = true
      this.transport.pauseReading()
    }
    // One reaction per request (not a catch, a finally and a catch: three promises more).
    work.then(() => { this.requestDone() }, e => {
      this.sendErrorSafely(replyTo, e, about)
      this.requestDone()
    })
  }

  private requestDone (): void {
    try {
      this.pending--
      if (this.readingPaused && this.pending < this.core.settings.max_pending_requests) {
        this.readingPaused = false
        if (this.held === undefined) this.transport.resumeReading()
      }
      if (this.inputDone && this.pending === 0 && this.held === undefined) this.close('client finished sending')
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'error after a request was answered')
    }
  }

  /**
   * The client closed its sending side (a pipe into nc or socat does this at
   * the end of its input): every request it sent still gets its answer, then
   * the connection closes.
   */
  inputEnded (): void {
    this.inputDone = true
    if (this.pending === 0 && this.held === undefined) this.close('client finished sending')
  }
}

/** Whether `policy` lets an update of this type, about this chat, through. */
function policyLetsThrough (policy: ClientPolicy, type: string, chatId: number | undefined): boolean {
  if (!policy.allowsUpdate(type)) return false
  if (policy.chats !== undefined && !ALWAYS_ALLOWED_UPDATES.has(type)) {
    if (chatId === undefined || !policy.chats.has(chatId)) return false
  }
  return true
}

/** policyLetsThrough for an outgoing update (OutgoingUpdate.acceptedBy judges once per policy). */
function policyAccepts (policy: ClientPolicy, update: OutgoingUpdate): boolean {
  return policyLetsThrough(policy, update.type, update.chatId)
}

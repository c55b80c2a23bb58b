/**
 * One connection to a broker, kept up: it authenticates, attaches sessions,
 * matches answers to requests by `@extra`, routes updates to their session
 * (each once, in order), and after a drop reconnects with backoff and jitter
 * and resumes every attached session from the last `@seq` it delivered.
 *
 * States: connecting → connected ⇄ reconnecting → closed (close() is safe to
 * call twice). A request in flight when the connection drops fails with
 * ConnectionLostError and is never sent again by the client; a request made
 * while reconnecting waits (within its timeout) and is sent once connected.
 */
import { Backoff, type BackoffOptions } from './backoff.js'
import { Emitter } from './emitter.js'
import { ClientClosedError, ConnectionLostError, RequestAbortedError, RequestTimeoutError, TdError } from './errors.js'
import type { BrokerVersion, ResumeInfo, SessionInfo, WireObject } from './protocol.js'
import { BrokerSession } from './session.js'
import type { ConnectTarget, Platform, Transport } from './transport.js'
import type { Request, RequestName, Result } from './types.js'

/** Bounds of the updates held for sessions without a handle yet. */
const MAX_EARLY_SESSIONS = 16
const MAX_EARLY_UPDATES = 1000

type Timer = ReturnType<typeof setTimeout>

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

export interface ClientOptions extends ConnectTarget {
  /** A client key (`tdbroker client add NAME`), sent with broker.authenticate on every (re)connect. */
  auth?: { name: string, key: string }
  /** Reconnect settings, or false to close the client when the connection drops. */
  reconnect?: BackoffOptions | false
  /** Default timeout of every request, ms (default 60000; 0: none). */
  requestTimeoutMs?: number
  /** How to connect and read local files: set by connect() of '@tdbroker/client' (Node) or '@tdbroker/client/browser'. */
  platform?: Platform
}

export interface RequestOptions {
  timeoutMs?: number
  signal?: AbortSignal
}

/** A gap the broker could no longer fill on resume: updates from..to of that session may be lost. */
export interface UpdatesLost { session: string, from_seq: number, to_seq: number }

/**
 * A request from the moment it is made until it is settled. Requests that
 * use the client's default timeout share one timer (they are kept in the
 * order they were made, so their deadlines are in order too); only a request
 * with its own timeout gets a timer of its own.
 */
interface Pending {
  readonly type: string
  /** The frame to send, @extra included: built once. */
  readonly line: string
  sent: boolean
  /** Date.now() deadline under the shared timer, or 0. */
  readonly deadline: number
  readonly timeoutMs: number
  resolve: (answer: WireObject) => void
  reject: (e: Error) => void
  timer: Timer | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

const noop = (): void => {}

export interface BrokerClientEvents {
  state: [ClientState]
  /** The connection dropped; the client reconnects unless reconnect is false. */
  disconnected: [string]
  /** Connected again, authenticated, and every attached session resumed. */
  reconnected: []
  updatesLost: [UpdatesLost]
  /** A broker notice without a session (broker.closing, broker.clientRevoked). */
  notice: [WireObject]
  /** The client closed for good (close(), an authentication failure, or reconnecting gave up). */
  close: [string]
  error: [Error]
}

export class BrokerClient extends Emitter<BrokerClientEvents> {
  private stateValue: ClientState = 'connecting'
  private transport: Transport | undefined
  /** Every request not yet settled, by @extra, in the order made: sent ones, and unsent ones waiting for a connection. */
  private readonly pending = new Map<number, Pending>()
  private unsent = 0
  private nextId = 1
  /** The shared timer of the requests under the default timeout; armed for the oldest one's deadline. */
  private sweepTimer: Timer | undefined
  private readonly sessions = new Map<string, BrokerSession>()
  /**
   * Updates of a session this client has no handle for yet: a new session's
   * first updates arrive before broker.createSession's answer names it.
   * Bounded; handed to the handle when it is made.
   */
  private readonly early = new Map<string, WireObject[]>()
  private readonly backoff: Backoff | undefined
  private reconnectTimer: Timer | undefined
  private readonly platform: Platform
  readonly requestTimeoutMs: number

  private constructor (readonly options: ClientOptions) {
    super()
    if (options.platform === undefined) throw new Error("no platform: connect with connect() of '@tdbroker/client' (Node) or '@tdbroker/client/browser'")
    this.platform = options.platform
    this.backoff = options.reconnect === false ? undefined : new Backoff(options.reconnect ?? {})
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000
    // An 'error' without a listener is fine here; errors are also reported where they happen.
    this.on('error', noop)
  }

  /** Connects (and authenticates, with `auth`); rejects when the first connection cannot be made. */
  static async connect (options: ClientOptions): Promise<BrokerClient> {
    const client = new BrokerClient(options)
    await client.open()
    client.setState('connected')
    client.flushWaiting()
    return client
  }

  get state (): ClientState { return this.stateValue }

  /** Sends any request (control or TDLib) and resolves with its answer; an `error` answer rejects with TdError. */
  request (object: WireObject, options?: RequestOptions): Promise<WireObject> {
    let head: string
    try {
      head = objectHead(object)
    } catch (e) {
      return Promise.reject(e)
    }
    return this.enqueue(head, String(object['@type']), options, false)
  }

  /** A TDLib request in one session, typed by its name. */
  invoke<N extends RequestName> (session: string, request: Request<N>, options?: RequestOptions): Promise<Result<N>> {
    return this.invokeWith(sessionPart(session), request as unknown as WireObject, options) as unknown as Promise<Result<N>>
  }

  /** @internal invoke with the session's `,"@session":"id"` text made once by its handle. */
  invokeWith (sessionText: string, request: WireObject, options: RequestOptions | undefined): Promise<WireObject> {
    let head: string
    try {
      head = objectHead(request) + sessionText
    } catch (e) {
      return Promise.reject(e)
    }
    return this.enqueue(head, String(request['@type']), options, false)
  }

  async ping (options?: RequestOptions): Promise<void> { await this.request({ '@type': 'broker.ping' }, options) }

  async getVersion (): Promise<BrokerVersion> { return await this.request({ '@type': 'broker.getVersion' }) as unknown as BrokerVersion }

  async listSessions (): Promise<SessionInfo[]> {
    const answer = await this.request({ '@type': 'broker.listSessions' })
    return answer.sessions as SessionInfo[]
  }

  /** Creates a session; attached (and started) unless `attach` is false. Resolves with its handle. */
  async createSession (options: { attach?: boolean } = {}): Promise<BrokerSession> {
    const attach = options.attach ?? true
    const answer = await this.request({ '@type': 'broker.createSession', attach })
    const session = this.session(String(answer.session))
    if (answer.attached === true) session.markAttached()
    return session
  }

  /** Attaches to a session (starting it on the broker if needed) and resolves with its handle. */
  async attach (sessionId: string): Promise<BrokerSession> {
    const session = this.session(sessionId)
    if (session.attached) return session
    await this.request({ '@type': 'broker.attachSession', session: sessionId })
    session.markAttached()
    return session
  }

  /** The handle of a session (attached or not); the same object every time. */
  session (sessionId: string): BrokerSession {
    let session = this.sessions.get(sessionId)
    if (session === undefined) {
      session = new BrokerSession(this, sessionId)
      this.sessions.set(sessionId, session)
      const early = this.early.get(sessionId)
      this.early.delete(sessionId)
      for (const message of early ?? []) session.deliver(message)
    }
    return session
  }

  /** Closes the connection and every update iterator; pending requests fail with ClientClosedError. */
  close (reason = 'close() was called'): void {
    if (this.stateValue === 'closed') return
    this.setState('closed')
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    this.transport?.close()
    this.transport = undefined
    // Sent or still waiting for a connection, every request fails, and its timer goes.
    this.failPending(true, () => new ClientClosedError(reason))
    for (const session of this.sessions.values()) session.end(reason)
    this.emit('close', reason)
  }

  /** Bytes waiting to be written to the broker. */
  get bufferedBytes (): number { return this.transport?.bufferedBytes ?? 0 }

  /** @internal Reads a local path for uploads, where the platform can (Node). */
  get openFile (): Platform['openFile'] { return this.platform.openFile }

  /**
   * Makes a request from an object's JSON text without its closing brace:
   * adds @extra, and sends it now when connected (or when `now`, for the
   * authentication and resumes of a connection being set up), else when
   * connected again.
   */
  private enqueue (head: string, type: string, options: RequestOptions | undefined, now: boolean): Promise<WireObject> {
    if (this.stateValue === 'closed') return Promise.reject(new ClientClosedError('close() was called'))
    const signal = options?.signal
    if (signal?.aborted === true) return Promise.reject(new RequestAbortedError(type, signal.reason))
    const id = this.nextId++
    const timeoutMs = options?.timeoutMs ?? this.requestTimeoutMs
    const shared = timeoutMs > 0 && timeoutMs === this.requestTimeoutMs
    const p: Pending = {
      type, line: head + ',"@extra":' + id + '}', sent: false, deadline: shared ? Date.now() + timeoutMs : 0, timeoutMs,
      resolve: noop, reject: noop, timer: undefined, signal: undefined, onAbort: undefined
    }
    const promise = new Promise<WireObject>((resolve, reject) => { p.resolve = resolve; p.reject = reject })
    this.pending.set(id, p)
    if (shared) {
      if (this.sweepTimer === undefined) this.armSweep(timeoutMs)
    } else if (timeoutMs > 0) {
      p.timer = setTimeout(() => { this.settle(id, p); p.reject(new RequestTimeoutError(type, timeoutMs)) }, timeoutMs)
    }
    if (signal !== undefined) {
      p.signal = signal
      p.onAbort = () => { this.settle(id, p); p.reject(new RequestAbortedError(type, signal.reason)) }
      signal.addEventListener('abort', p.onAbort, { once: true })
    }
    if ((now || this.stateValue === 'connected') && this.transport !== undefined) {
      p.sent = true
      this.transport.send(p.line)
    } else {
      this.unsent++
    }
    return promise
  }

  /** Takes a request out of the books (its answer came, or it timed out, was aborted, or failed). */
  private settle (id: number, p: Pending): void {
    this.pending.delete(id)
    if (!p.sent) this.unsent--
    if (p.timer !== undefined) clearTimeout(p.timer)
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort)
  }

  private armSweep (delayMs: number): void {
    // Not unref'd: like a timer per request, a pending request keeps the process up until it settles.
    this.sweepTimer = setTimeout(this.sweep, Math.max(0, delayMs))
  }

  /** Fails the requests whose deadline under the default timeout has passed, oldest first, and re-arms for the next one. */
  private readonly sweep = (): void => {
    this.sweepTimer = undefined
    const now = Date.now()
    for (const [id, p] of this.pending) {
      if (p.deadline === 0) continue
      if (p.deadline > now) { this.armSweep(p.deadline - now); return }
      this.settle(id, p)
      p.reject(new RequestTimeoutError(p.type, p.timeoutMs))
    }
  }

  private async open (): Promise<void> {
    const transport = await this.platform.openTransport(this.options, {
      onFrame: line => { this.receive(line) },
      onClose: reason => { if (this.transport === transport) this.lost(reason) }
    })
    this.transport = transport
    const auth = this.options.auth
    if (auth !== undefined) {
      try {
        await this.sendNow({ '@type': 'broker.authenticate', name: auth.name, key: auth.key })
      } catch (e) {
        this.transport = undefined
        transport.close()
        throw e
      }
    }
  }

  /** Sends on the current transport even while not yet `connected` (authentication, resumes). */
  private async sendNow (object: WireObject): Promise<WireObject> {
    return await this.enqueue(objectHead(object), object['@type'], undefined, true)
  }

  private receive (line: string): void {
    let message: WireObject
    try {
      message = JSON.parse(line) as WireObject
    } catch {
      this.emit('error', new Error(`the broker sent a line that is not JSON: ${line.slice(0, 200)}`))
      return
    }
    const extra = message['@extra']
    if (typeof extra === 'number') {
      const p = this.pending.get(extra)
      if (p !== undefined) {
        this.settle(extra, p)
        if (message['@type'] === 'error') p.reject(new TdError(Number(message.code), String(message.message)))
        else p.resolve(message)
        return
      }
    }
    const sessionId = message['@session']
    const type = message['@type']
    if (typeof sessionId === 'string') {
      const session = this.sessions.get(sessionId)
      if (session === undefined) {
        this.holdEarly(sessionId, message)
        return
      }
      if (type === 'broker.updatesLost') {
        const lost = { session: sessionId, from_seq: Number(message.from_seq), to_seq: Number(message.to_seq) }
        session.lost(lost)
        this.emit('updatesLost', lost)
      } else if (type === 'broker.sessionClosed' || type === 'broker.sessionRevoked') {
        session.detachedByBroker(type === 'broker.sessionClosed' ? 'closed' : 'revoked', String(message.reason))
      } else {
        session.deliver(message)
      }
      return
    }
    if (typeof type === 'string' && type.startsWith('broker.')) this.emit('notice', message)
  }

  private lost (reason: string): void {
    this.transport = undefined
    // Sent requests may or may not have run: they fail, retryable, and are never sent again. Unsent ones wait.
    this.failPending(false, p => new ConnectionLostError(p.type, reason))
    if (this.stateValue === 'closed') return
    this.emit('disconnected', reason)
    if (this.backoff === undefined) { this.close(`connection lost: ${reason}`); return }
    this.setState('reconnecting')
    this.scheduleReconnect()
  }

  private scheduleReconnect (): void {
    const backoff = this.backoff as Backoff
    if (backoff.attempts >= backoff.maxAttempts) { this.close(`gave up after ${backoff.attempts} reconnect attempts`); return }
    this.reconnectTimer = setTimeout(() => { void this.reconnect() }, backoff.next())
  }

  private async reconnect (): Promise<void> {
    if (this.stateValue === 'closed') return
    try {
      await this.open()
      for (const session of this.sessions.values()) {
        if (!session.attached) continue
        await this.resume(session)
      }
    } catch (e) {
      const transport = this.transport
      this.transport = undefined
      transport?.close()
      if (e instanceof TdError && (e.brokerError === 'AUTH_FAILED')) { this.emit('error', e); this.close(`authentication failed: ${e.message}`); return }
      if (!this.isClosed) this.scheduleReconnect()
      return
    }
    if (this.isClosed) return
    this.backoff?.reset()
    this.setState('connected')
    this.emit('reconnected')
    this.flushWaiting()
  }

  /** Re-attaches a session from the last update it delivered; a gap the broker reports reaches the session's listeners. */
  private async resume (session: BrokerSession): Promise<void> {
    try {
      const answer = await this.sendNow({ '@type': 'broker.attachSession', session: session.id, last_seq: session.lastSeq })
      session.resumed(answer.resume as ResumeInfo | undefined)
    } catch (e) {
      if (!(e instanceof TdError)) throw e
      if (e.brokerError === 'LAST_SEQ_AHEAD') {
        // The broker's numbers are behind ours (its state was reset): everything after our last update is unknown.
        const lost = { session: session.id, from_seq: session.lastSeq + 1, to_seq: Number.MAX_SAFE_INTEGER }
        session.lost(lost)
        this.emit('updatesLost', lost)
        session.resetSeq()
        await this.sendNow({ '@type': 'broker.attachSession', session: session.id })
        return
      }
      // The session is gone or out of scope now: tell its listeners, keep the connection.
      session.detachedByBroker('revoked', e.message)
    }
  }

  private holdEarly (sessionId: string, message: WireObject): void {
    let held = this.early.get(sessionId)
    if (held === undefined) {
      if (this.early.size >= MAX_EARLY_SESSIONS) this.early.delete(this.early.keys().next().value as string)
      held = []
      this.early.set(sessionId, held)
    }
    if (held.length < MAX_EARLY_UPDATES) held.push(message)
  }

  /** Fails the sent requests (and, with `all`, the unsent ones too). */
  private failPending (all: boolean, make: (p: Pending) => Error): void {
    const failed: Pending[] = []
    for (const [id, p] of this.pending) {
      if (!all && !p.sent) continue
      this.settle(id, p)
      failed.push(p)
    }
    if (this.pending.size === 0 && this.sweepTimer !== undefined) { clearTimeout(this.sweepTimer); this.sweepTimer = undefined }
    for (const p of failed) p.reject(make(p))
  }

  /** Sends, in the order they were made, the requests that waited for a connection. */
  private flushWaiting (): void {
    if (this.unsent === 0) return
    const transport = this.transport
    if (transport === undefined) return
    for (const p of this.pending.values()) {
      if (p.sent) continue
      p.sent = true
      this.unsent--
      transport.send(p.line)
    }
  }

  /** A getter, so TypeScript does not narrow the state across awaits. */
  private get isClosed (): boolean { return this.stateValue === 'closed' }

  private setState (state: ClientState): void {
    if (this.stateValue === state) return
    this.stateValue = state
    this.emit('state', state)
  }
}

/** An object's JSON text without its closing brace, for keys to be added after its own (a later duplicate key wins on the broker). */
function objectHead (object: WireObject): string {
  const json = JSON.stringify(object)
  if (typeof json !== 'string' || json.length < 3 || json.charCodeAt(0) !== 123 || json.charCodeAt(json.length - 1) !== 125) {
    throw new TypeError('a request is an object with @type and fields, such as { "@type": "getMe" }')
  }
  return json.slice(0, -1)
}

/** The `,"@session":"id"` text that puts a request into a session. */
export function sessionPart (session: string): string {
  return ',"@session":' + JSON.stringify(session)
}

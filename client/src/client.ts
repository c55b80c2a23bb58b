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
import { EventEmitter } from 'node:events'
import { Backoff, type BackoffOptions } from './backoff.js'
import { ClientClosedError, ConnectionLostError, RequestAbortedError, RequestTimeoutError, TdError } from './errors.js'
import type { BrokerVersion, ResumeInfo, SessionInfo, WireObject } from './protocol.js'
import { BrokerSession } from './session.js'
import { openTransport, type ConnectTarget, type Transport } from './transport.js'
import type { Request, RequestName, Result } from './types.js'

/** Bounds of the updates held for sessions without a handle yet. */
const MAX_EARLY_SESSIONS = 16
const MAX_EARLY_UPDATES = 1000

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

export interface ClientOptions extends ConnectTarget {
  /** A client key (`tdbroker client add NAME`), sent with broker.authenticate on every (re)connect. */
  auth?: { name: string, key: string }
  /** Reconnect settings, or false to close the client when the connection drops. */
  reconnect?: BackoffOptions | false
  /** Default timeout of every request, ms (default 60000; 0: none). */
  requestTimeoutMs?: number
}

export interface RequestOptions {
  timeoutMs?: number
  signal?: AbortSignal
}

/** A gap the broker could no longer fill on resume: updates from..to of that session may be lost. */
export interface UpdatesLost { session: string, from_seq: number, to_seq: number }

interface Pending {
  type: string
  resolve: (answer: WireObject) => void
  reject: (e: Error) => void
  cleanup: () => void
}

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

export class BrokerClient extends EventEmitter<BrokerClientEvents> {
  private stateValue: ClientState = 'connecting'
  private transport: Transport | undefined
  private readonly pending = new Map<string, Pending>()
  /** Requests made while no connection was up, sent once one is. */
  private waiting: Array<{ send: () => void, fail: (e: Error) => void }> = []
  private nextId = 1
  private readonly sessions = new Map<string, BrokerSession>()
  /**
   * Updates of a session this client has no handle for yet: a new session's
   * first updates arrive before broker.createSession's answer names it.
   * Bounded; handed to the handle when it is made.
   */
  private readonly early = new Map<string, WireObject[]>()
  private readonly backoff: Backoff | undefined
  private reconnectTimer: NodeJS.Timeout | undefined
  readonly requestTimeoutMs: number

  private constructor (readonly options: ClientOptions) {
    super()
    this.backoff = options.reconnect === false ? undefined : new Backoff(options.reconnect ?? {})
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000
    // An 'error' without a listener would throw; errors are also reported where they happen.
    this.on('error', () => {})
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
  async request (object: WireObject, options: RequestOptions = {}): Promise<WireObject> {
    if (this.stateValue === 'closed') throw new ClientClosedError('close() was called')
    const type = object['@type']
    const id = String(this.nextId++)
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs
    return await new Promise<WireObject>((resolve, reject) => {
      let sent = false
      let settled = false
      let timer: NodeJS.Timeout | undefined
      const onAbort = (): void => { settle(); reject(new RequestAbortedError(type, options.signal?.reason)) }
      const settle = (): void => {
        settled = true
        this.pending.delete(id)
        if (timer !== undefined) clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
      }
      if (options.signal?.aborted === true) { reject(new RequestAbortedError(type, options.signal.reason)); return }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      if (timeoutMs > 0) timer = setTimeout(() => { settle(); reject(new RequestTimeoutError(type, timeoutMs)) }, timeoutMs)
      const pending: Pending = { type, cleanup: settle, resolve: a => { settle(); resolve(a) }, reject: e => { settle(); reject(e) } }
      const send = (): void => {
        // Timed out or aborted while waiting for a connection: never send it.
        if (sent || settled) return
        sent = true
        this.pending.set(id, pending)
        this.transport?.send(JSON.stringify({ ...object, '@extra': id }))
      }
      if (this.stateValue === 'connected') send()
      else this.waiting.push({ send, fail: e => { if (!settled) { settle(); reject(e) } } })
    })
  }

  /** A TDLib request in one session, typed by its name. */
  async invoke<N extends RequestName> (session: string, request: Request<N>, options?: RequestOptions): Promise<Result<N>> {
    return await this.request({ ...(request as unknown as WireObject), '@session': session }, options) as unknown as Result<N>
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
    this.failPending(() => new ClientClosedError(reason))
    // Requests that waited for a connection were never sent: they fail, and their timers go.
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) w.fail(new ClientClosedError(reason))
    for (const session of this.sessions.values()) session.end(reason)
    this.emit('close', reason)
  }

  /** Bytes waiting to be written to the broker. */
  get bufferedBytes (): number { return this.transport?.bufferedBytes ?? 0 }

  private async open (): Promise<void> {
    const transport = await openTransport(this.options, {
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
    const id = String(this.nextId++)
    const type = object['@type']
    return await new Promise((resolve, reject) => {
      const timer = this.requestTimeoutMs > 0 ? setTimeout(() => { this.pending.delete(id); reject(new RequestTimeoutError(type, this.requestTimeoutMs)) }, this.requestTimeoutMs) : undefined
      const cleanup = (): void => { this.pending.delete(id); if (timer !== undefined) clearTimeout(timer) }
      this.pending.set(id, { type, cleanup, resolve: a => { cleanup(); resolve(a) }, reject: e => { cleanup(); reject(e) } })
      this.transport?.send(JSON.stringify({ ...object, '@extra': id }))
    })
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
    if (typeof extra === 'string') {
      const pending = this.pending.get(extra)
      if (pending !== undefined) {
        if (message['@type'] === 'error') pending.reject(new TdError(Number(message.code), String(message.message)))
        else pending.resolve(message)
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
    this.failPending(p => new ConnectionLostError(p.type, reason))
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

  private failPending (make: (p: Pending) => Error): void {
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) p.reject(make(p))
  }

  private flushWaiting (): void {
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) w.send()
  }

  /** A getter, so TypeScript does not narrow the state across awaits. */
  private get isClosed (): boolean { return this.stateValue === 'closed' }

  private setState (state: ClientState): void {
    if (this.stateValue === state) return
    this.stateValue = state
    this.emit('state', state)
  }
}

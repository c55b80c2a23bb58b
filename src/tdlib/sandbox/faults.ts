/**
 * Failures on demand, for tests: FLOOD_WAIT answers, a network drop, and
 * added latency. Methods TDLib answers locally (LOCAL_METHODS) are never
 * delayed or refused by them, as with the real thing.
 */
import type { TdError } from '../backend.js'
import { tdError } from './td.js'
import type { World } from './world.js'

/** Which sessions a fault applies to. */
export type FaultTarget =
  | 'all'
  | { sessionId: string }
  | { userId: number }
  | { directory: string }

/** What a fault needs to know about a client to decide whether it applies. */
export interface FaultSubject {
  readonly sessionId: string
  readonly directory: string
  readonly userId: number
  networkChanged(down: boolean): void
}

export interface SandboxFaults {
  /**
   * The next `count` (default 1) network requests of matching sessions fail
   * with 429 "Too Many Requests: retry after <seconds>". `methods` limits it
   * to those request types. Pass count Infinity for "until clear()".
   */
  floodWait(target: FaultTarget, seconds: number, count?: number, methods?: readonly string[]): void
  /**
   * Drops the network of every session: connectionStateConnecting at once;
   * network requests and incoming updates wait. After `ms` (or on
   * networkRestore() when ms is omitted) connectionStateReady comes, then
   * what was held. Resolves when the network is back.
   */
  networkDrop(ms?: number): Promise<void>
  networkRestore(): void
  /** Added delay before each network request is handled (0: none, no timers). */
  latency(ms: number): void
  /** Ends every fault. */
  clear(): void
}

/** Requests TDLib answers from memory, without the network. */
export const LOCAL_METHODS: ReadonlySet<string> = new Set([
  'getAuthorizationState', 'setTdlibParameters', 'getOption', 'setOption', 'close', 'destroy',
  'getMe', 'getUser', 'getChat', 'getBasicGroup', 'getSupergroup', 'getMessage', 'getMessageLocally',
  'getTextEntities', 'parseTextEntities', 'parseMarkdown', 'getMarkdownText', 'getCurrentState',
  'addProxy', 'openChat', 'closeChat', 'testCallEmpty', 'testCallString', 'testSquareInt', 'testReturnError',
  'setLogVerbosityLevel', 'getLogVerbosityLevel', 'setLogStream', 'getLogStream',
])

interface FloodRule {
  target: FaultTarget
  seconds: number
  remaining: number
  methods: ReadonlySet<string> | undefined
}

function matches (target: FaultTarget, subject: FaultSubject): boolean {
  if (target === 'all') return true
  if ('sessionId' in target) return target.sessionId === subject.sessionId
  if ('userId' in target) return target.userId === subject.userId
  return target.directory === subject.directory
}

export class FaultState implements SandboxFaults {
  latencyMs: number
  networkDown = false
  private readonly world: World
  private floods: FloodRule[] = []
  private restoreTimer: NodeJS.Timeout | undefined
  private waiters: Array<() => void> = []

  constructor (world: World, latencyMs: number) {
    this.world = world
    this.latencyMs = latencyMs
  }

  floodWait (target: FaultTarget, seconds: number, count = 1, methods?: readonly string[]): void {
    if (!(seconds > 0) || !(count > 0)) throw new RangeError('floodWait needs seconds > 0 and count > 0')
    this.floods.push({ target, seconds: Math.ceil(seconds), remaining: count, methods: methods === undefined ? undefined : new Set(methods) })
  }

  /** The FLOOD_WAIT error for this request, if a rule applies; counts it. */
  floodFor (subject: FaultSubject, method: string): TdError | undefined {
    if (this.floods.length === 0 || LOCAL_METHODS.has(method)) return undefined
    const rule = this.floods.find(r => matches(r.target, subject) && (r.methods === undefined || r.methods.has(method)))
    if (rule === undefined) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) this.floods = this.floods.filter(r => r !== rule)
    return tdError(429, `Too Many Requests: retry after ${rule.seconds}`)
  }

  networkDrop (ms?: number): Promise<void> {
    if (!this.networkDown) {
      this.networkDown = true
      for (const client of this.world.clients) client.networkChanged(true)
    }
    if (ms !== undefined) {
      clearTimeout(this.restoreTimer)
      this.restoreTimer = setTimeout(() => this.networkRestore(), ms)
    }
    return this.whenNetworkUp()
  }

  networkRestore (): void {
    clearTimeout(this.restoreTimer)
    this.restoreTimer = undefined
    if (!this.networkDown) return
    this.networkDown = false
    for (const client of this.world.clients) client.networkChanged(false)
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** Resolves at once when the network is up. */
  whenNetworkUp (): Promise<void> {
    if (!this.networkDown) return Promise.resolve()
    return new Promise(resolve => this.waiters.push(resolve))
  }

  latency (ms: number): void {
    if (!(ms >= 0)) throw new RangeError('latency needs ms >= 0')
    this.latencyMs = ms
  }

  clear (): void {
    this.floods = []
    this.latencyMs = 0
    this.networkRestore()
  }
}

/**
 * One sandbox client: what the broker holds for a session. Owns the
 * authorization and connection state machines, delivers updates to the
 * broker's callbacks, and runs requests through faults and dispatch.
 *
 * Requests are answered in a microtask (never synchronously inside invoke);
 * no timer is involved unless a test asked for latency or a network drop.
 */
import { resolve } from 'node:path'
import type { TdClient, TdClientEvents, TdClientOptions, TdObject } from '../backend.js'
import { TdFailure, tdError, type Td, type Tl } from './td.js'
import type { Device, UpdateSink } from './device.js'
import { LOCAL_METHODS, type FaultSubject } from './faults.js'
import { dispatch } from './dispatch.js'
import { builtinOption } from './misc.js'
import type { Account } from './model.js'
import type { World } from './world.js'

export type AuthState =
  | 'waitTdlibParameters' | 'waitPhoneNumber' | 'waitEmailAddress' | 'waitEmailCode' | 'waitCode'
  | 'waitPassword' | 'waitRegistration' | 'waitOtherDeviceConfirmation' | 'ready'
  | 'loggingOut' | 'closing' | 'closed'

type AuthorizationState = Td<Tl.AuthorizationState>

/** A login in progress: the phone number given and what the server asked for next. */
export interface LoginAttempt {
  phone: string
  /** 0 while the number is unknown (it will go through registration). */
  accountId: number
  email?: string
}

/** What setTdlibParameters said about the application (echoed in `session` objects). */
export interface AppInfo {
  apiId: number
  applicationVersion: string
  deviceModel: string
  systemVersion: string
}

function stateName (s: AuthorizationState): AuthState {
  const name = s['@type'].slice('authorizationState'.length)
  return (name[0]!.toLowerCase() + name.slice(1)) as AuthState
}

export class SandboxClient implements TdClient, UpdateSink, FaultSubject {
  readonly world: World
  readonly sessionId: string
  readonly directory: string
  state: AuthState = 'waitTdlibParameters'
  authorizationState: AuthorizationState = { '@type': 'authorizationStateWaitTdlibParameters' }
  device: Device | undefined
  login: LoginAttempt | undefined
  app: AppInfo = { apiId: 0, applicationVersion: '', deviceModel: '', systemVersion: '' }
  qrToken: string | undefined
  readonly options = new Map<string, Td<Tl.OptionValue>>()
  private readonly events: TdClientEvents
  private connection: 'none' | 'connecting' | 'updating' | 'ready' = 'none'
  private connectedOnce = false
  private started = false
  private closeStarted = false
  private readonly closed: Promise<void>
  private markClosed!: () => void

  constructor (world: World, options: TdClientOptions, events: TdClientEvents) {
    this.world = world
    this.sessionId = options.sessionId
    this.directory = resolve(options.directory)
    this.events = events
    this.closed = new Promise(resolve => { this.markClosed = resolve })
    world.clients.add(this)
    queueMicrotask(() => this.start())
  }

  get userId (): number {
    return this.device?.userId ?? 0
  }

  private start (): void {
    if (this.started) return
    this.started = true
    this.emitLocal({ '@type': 'updateAuthorizationState', authorization_state: this.authorizationState })
  }

  invoke (request: TdObject): Promise<TdObject> {
    if (this.state === 'closed') return Promise.reject(new Error('the sandbox client is closed'))
    const type = request?.['@type']
    if (typeof type !== 'string') {
      return Promise.resolve(tdError(400, 'Failed to parse JSON object as TDLib request: the request has no @type'))
    }
    const faults = this.world.faults
    if (!LOCAL_METHODS.has(type)) {
      const flood = faults.floodFor(this, type)
      if (flood !== undefined) return Promise.resolve(flood)
      if (faults.networkDown || faults.latencyMs > 0) return this.invokeLater(type, request)
    }
    return Promise.resolve().then(() => this.run(type, request))
  }

  private async invokeLater (type: string, request: TdObject): Promise<TdObject> {
    const latency = this.world.faults.latencyMs
    if (latency > 0) await new Promise(resolve => setTimeout(resolve, latency))
    await this.world.faults.whenNetworkUp()
    return await this.run(type, request)
  }

  private async run (type: string, request: TdObject): Promise<TdObject> {
    try {
      return await dispatch(this, type, request)
    } catch (err) {
      if (err instanceof TdFailure) return err.toTd()
      throw err
    }
  }

  /** The value of an option as getOption answers it. */
  option (name: string): Td<Tl.OptionValue> {
    if (name === 'my_id' && this.state === 'ready') return { '@type': 'optionValueInteger', value: String(this.userId) }
    return builtinOption(name) ?? this.options.get(name) ?? { '@type': 'optionValueEmpty' }
  }

  // --- updates ------------------------------------------------------------

  /** UpdateSink: an update from the emulated server. */
  push (update: TdObject): void {
    if (this.state !== 'closed') this.events.onUpdate(update)
  }

  /** An update TDLib produces itself (states, options), never held back. */
  emitLocal (update: Td<Tl.Update>): void {
    if (this.state !== 'closed') this.events.onUpdate(update as TdObject)
  }

  setAuthState (s: AuthorizationState): void {
    this.start()
    if (this.state === 'closed') return
    this.authorizationState = s
    this.state = stateName(s)
    this.events.onUpdate({ '@type': 'updateAuthorizationState', authorization_state: s })
  }

  private setConnection (state: 'connecting' | 'updating' | 'ready'): void {
    if (this.connection === state) return
    this.connection = state
    const types = {
      connecting: 'connectionStateConnecting',
      updating: 'connectionStateUpdating',
      ready: 'connectionStateReady',
    } as const
    this.emitLocal({ '@type': 'updateConnectionState', state: { '@type': types[state] } })
  }

  /**
   * After setTdlibParameters: take the folder, announce options, and either
   * restore the login kept for it or ask for a phone number.
   */
  attach (device: Device): void {
    this.device = device
    for (const name of ['version', 'commit_hash', 'tdbroker_sandbox']) {
      this.emitLocal({ '@type': 'updateOption', name, value: builtinOption(name)! })
    }
    this.setConnection('connecting')
    const account = this.world.accounts.get(device.userId)
    if (account !== undefined) this.becomeReady(account)
    else this.setAuthState({ '@type': 'authorizationStateWaitPhoneNumber' })
    if (!this.world.faults.networkDown) this.connect()
  }

  /** The login succeeded (or was restored): my_id, the own user, then Ready. */
  becomeReady (account: Account): void {
    const device = this.device!
    this.login = undefined
    this.emitLocal({ '@type': 'updateOption', name: 'my_id', value: { '@type': 'optionValueInteger', value: String(account.id) } })
    if (device.userId !== account.id) this.world.login(device, account)
    device.ensureUser(this.world, account.id)
    this.setAuthState({ '@type': 'authorizationStateReady' })
  }

  /**
   * The device's updates flow from now on. At start-up a logged-in session
   * catches up like TDLib after a restart: Updating, the queued updates,
   * Ready. After a network drop it is Ready, then what was held meanwhile.
   */
  private connect (): void {
    const device = this.device
    if (device === undefined || this.state === 'closed' || this.closeStarted) return
    const startUp = !this.connectedOnce
    this.connectedOnce = true
    const queued = device.takeQueue()
    if (startUp && (device.userId !== 0 || queued.length > 0)) {
      this.setConnection('updating')
      for (const update of queued) this.push(update)
      this.setConnection('ready')
    } else {
      this.setConnection('ready')
      for (const update of queued) this.push(update)
    }
    device.sink = this
  }

  /** FaultSubject: the network went down or came back. */
  networkChanged (down: boolean): void {
    if (this.device === undefined || this.closeStarted) return
    if (down) {
      this.device.sink = undefined // the server's updates wait in the device queue
      this.setConnection('connecting')
    } else {
      this.connect()
    }
  }

  // --- closing ------------------------------------------------------------

  close (): Promise<void> {
    this.shutDown('close')
    return this.closed
  }

  /**
   * close: Closing -> Closed, the login is kept. logOut: LoggingOut ->
   * Closing -> Closed, the login is forgotten. destroy: like close, but the
   * folder's data (the login) is wiped.
   */
  shutDown (how: 'close' | 'logOut' | 'destroy'): void {
    if (this.closeStarted) return
    this.closeStarted = true
    this.start()
    if (how === 'logOut') this.setAuthState({ '@type': 'authorizationStateLoggingOut' })
    else this.setAuthState({ '@type': 'authorizationStateClosing' })
    this.world.serverSide(() => this.finish(how !== 'close'))
  }

  private finish (forget: boolean): void {
    if (this.state !== 'closing') this.setAuthState({ '@type': 'authorizationStateClosing' })
    const device = this.device
    if (device !== undefined) {
      device.sink = undefined
      device.holder = undefined
      if (forget) this.world.forgetDevice(device)
      else this.world.releaseDevice(device)
    }
    if (this.qrToken !== undefined) this.world.qrLogins.delete(this.qrToken)
    this.world.clients.delete(this)
    this.setAuthState({ '@type': 'authorizationStateClosed' })
    this.events.onClosed()
    this.markClosed()
  }
}

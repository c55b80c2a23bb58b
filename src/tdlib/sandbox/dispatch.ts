/**
 * Routes a request to its handler, applying TDLib's rules on what may be
 * asked in which authorization state. Handlers are grouped by concern, each
 * module exporting a table typed against TDLib's API (request fields in,
 * result type out).
 */
import type { TdObject } from '../backend.js'
import { tdError, type Method, type Req, type Res } from './td.js'
import type { SandboxClient } from './client.js'
import type { Device } from './device.js'
import type { Account } from './model.js'
import type { World } from './world.js'
import { executeSync, isSyncMethod, miscHandlers } from './misc.js'
import { authHandlers, qrConfirmHandlers } from './auth.js'
import { lookupHandlers } from './lookups.js'
import { messageHandlers } from './messages.js'
import { groupHandlers } from './groups.js'
import { inlineHandlers } from './inline.js'
import { callHandlers } from './calls.js'
import { fileHandlers } from './files.js'
import { memberHandlers } from './members.js'
import { botCommandHandlers } from './bot-commands.js'
import { chatAdminHandlers } from './chat-admins.js'

export interface ClientCtx {
  world: World
  client: SandboxClient
}

/** What a handler for a logged-in session gets. */
export interface ReadyCtx extends ClientCtx {
  device: Device
  me: Account
}

type Result<M extends Method> = Res<M> | Promise<Res<M>>
export type OpenHandlers = { [M in Method]?: (ctx: ClientCtx, req: Req<M>) => Result<M> }
export type ReadyHandlers = { [M in Method]?: (ctx: ReadyCtx, req: Req<M>) => Result<M> }

type AnyHandler<C> = (ctx: C, req: TdObject) => TdObject | Promise<TdObject>

const BEFORE_PARAMETERS = new Set([
  'getAuthorizationState', 'setTdlibParameters', 'getOption', 'setOption', 'close', 'destroy', 'addProxy',
  'testCallEmpty', 'testCallString', 'testSquareInt', 'testReturnError', 'testNetwork',
])

let open: Record<string, AnyHandler<ClientCtx> | undefined> | undefined
let ready: Record<string, AnyHandler<ReadyCtx> | undefined> | undefined

function tables (): [Record<string, AnyHandler<ClientCtx> | undefined>, Record<string, AnyHandler<ReadyCtx> | undefined>] {
  // Built on first use: the handler modules and this one import each other's types.
  open ??= { ...miscHandlers, ...authHandlers } as Record<string, AnyHandler<ClientCtx>>
  ready ??= {
    ...qrConfirmHandlers, ...lookupHandlers, ...messageHandlers, ...groupHandlers, ...inlineHandlers, ...callHandlers, ...fileHandlers, ...memberHandlers, ...botCommandHandlers, ...chatAdminHandlers,
  } as Record<string, AnyHandler<ReadyCtx>>
  return [open, ready]
}

/** Answers one request for `client`; TdFailure thrown by a handler becomes an error object upstream. */
export function dispatch (client: SandboxClient, type: string, request: TdObject): TdObject | Promise<TdObject> {
  const state = client.state
  if ((state === 'closing' || state === 'closed') && type !== 'getAuthorizationState') {
    return tdError(500, 'Request aborted')
  }
  if (state === 'waitTdlibParameters' && !BEFORE_PARAMETERS.has(type) && !isSyncMethod(type)) {
    return tdError(400, 'Initialization parameters are needed: call setTdlibParameters first')
  }
  const [openHandlers, readyHandlers] = tables()
  const ctx: ClientCtx = { world: client.world, client }
  const openHandler = openHandlers[type]
  if (openHandler !== undefined) return guarded(type, () => openHandler(ctx, request))
  const readyHandler = readyHandlers[type]
  if (readyHandler !== undefined) {
    const device = client.device
    const me = client.world.accounts.get(device?.userId ?? 0)
    if (state !== 'ready' || device === undefined || me === undefined) return tdError(401, 'Unauthorized')
    return guarded(type, () => readyHandler({ world: client.world, client, device, me }, request))
  }
  if (isSyncMethod(type)) return executeSync(request)
  return tdError(400, `Method not supported by the sandbox: ${type}`)
}

/**
 * Requests come off the wire unchecked, so a handler may trip over a value
 * it did not expect (null or a number where it reads an object or an
 * array). TDLib's JSON reader answers such a request with a 400; so does
 * the sandbox, instead of failing the request (which the broker would
 * report as a closed session).
 */
function guarded (type: string, run: () => TdObject | Promise<TdObject>): TdObject | Promise<TdObject> {
  try {
    const answer = run()
    return answer instanceof Promise ? answer.catch(e => badValue(type, e)) : answer
  } catch (e) {
    return badValue(type, e)
  }
}

function badValue (type: string, e: unknown): TdObject {
  if (!(e instanceof TypeError)) throw e
  return tdError(400, `Failed to parse JSON object as TDLib request: a field of ${type} has a value of the wrong type (${e.message})`)
}

/**
 * The real backend: TDLib through tdl, with prebuilt-tdlib's libtdjson.
 * Clients are created bare, so the broker (not tdl) answers
 * authorizationStateWaitTdlibParameters with parameters it controls.
 */
import { writeSync } from 'node:fs'
import * as tdl from 'tdl'
import { getTdjson } from 'prebuilt-tdlib'
import type { TdBackend, TdClient, TdClientEvents, TdClientOptions, TdObject } from './backend.js'
import { fromTdl } from './rename.js'
import { SecretValues } from '../log/secret-values.js'
import { cleanTdlibText } from '../log/tdlib-text.js'
import { Drain, receiveNow, registerEveryTdlClient, tdlLoopParksWhileHandling } from './drain.js'
import { LateReceive } from './late-receive.js'

export interface TdlBackendOptions {
  /** TDLib's own verbosity (settings tdlib.debug_level, 0..4). */
  verbosity: number
  /**
   * Receives TDLib's own log lines (verbosity level, text), with secrets
   * already cut out (log/tdlib-text.ts); a line that could not be made safe
   * arrives as DROPPED_TDLIB_LINE.
   */
  onLog?: (level: number, message: string) => void
  /** Secrets of settings (api_hash, proxy password…), cut out of TDLib's lines wherever they appear. */
  secrets?: ReadonlyArray<string | undefined>
}

/** What onLog receives instead of a TDLib line that could not be made safe. */
export const DROPPED_TDLIB_LINE = 'TDLib log line dropped: it held a credential that could not be cut out safely'

let configured = false
/** Takes TDLib's queued messages past tdl's one-at-a-time loop (drain.ts); undefined without koffi. */
let drain: Drain | undefined
/** Holds tdl's next receive after the last answer (late-receive.ts); undefined when tdl's loop has another shape. */
let lateReceive: LateReceive | undefined
let lateReceiveInstalled = false
/** Requests of this module's clients sent past tdl (directSender) and not yet answered, over every client of the process. */
let inFlight = 0
/**
 * What the broker handed to TDLib recently. TDLib's log is one per process,
 * and so is this (every backend of the process feeds it).
 */
const handedToTdlib = new SecretValues()

export function createTdlBackend (options: TdlBackendOptions): TdBackend {
  if (!configured) {
    const tdjson = getTdjson()
    tdl.configure({ tdjson, verbosityLevel: options.verbosity })
    configured = true
    // Before any tdl client exists (configure above would have thrown): every one of the process registers.
    const parks = tdlLoopParksWhileHandling()
    // The loop's one receive at a time, each awaited before the next message is handed over, is what both rely on.
    if (parks) lateReceive = new LateReceive()
    const receive = parks ? receiveNow(tdjson) : undefined
    const candidate = receive === undefined ? undefined : new Drain(receive)
    if (candidate !== undefined && registerEveryTdlClient(candidate)) drain = candidate
  } else {
    tdl.execute({ _: 'setLogVerbosityLevel', new_verbosity_level: options.verbosity })
  }
  // TDLib also writes its log to stderr, unredacted; the callback below is the only way out.
  tdl.execute({ _: 'setLogStream', log_stream: { _: 'logStreamEmpty' } })
  for (const secret of options.secrets ?? []) handedToTdlib.pin(secret)
  const onLog = options.onLog
  if (onLog !== undefined) {
    tdl.setLogMessageCallback(Math.max(options.verbosity, 0), (level, message) => {
      const safe = cleanTdlibText(message, handedToTdlib) ?? DROPPED_TDLIB_LINE
      // Level 0 is fatal: TDLib aborts the process right after, before an asynchronous log is written.
      if (level === 0) writeSync(2, `TDLib fatal error: ${safe.trimEnd()}\n`)
      onLog(level, safe)
    })
  }
  const version = readVersion()
  return {
    kind: 'tdlib',
    tdlibVersion: version,
    createClient: (opts, events) => new TdlClient(opts, events),
    execute (request: TdObject): TdObject {
      handedToTdlib.remember(request)
      // tdl renames `_` to @type itself; requests have no `_` (the protocol refuses it).
      const answer = tdl.execute(request as unknown as Parameters<typeof tdl.execute>[0])
      return (answer === null ? { '@type': 'error', code: 500, message: 'TDLib returned nothing' } : fromTdl(answer)) as TdObject
    },
    async shutdown () {
      if (options.onLog !== undefined) tdl.setLogMessageCallback(0, null)
    }
  }
}

function readVersion (): string {
  const answer = tdl.execute({ _: 'getOption', name: 'version' }) as { value?: unknown } | null
  return typeof answer?.value === 'string' ? answer.value : 'unknown'
}

type TdlClientHandle = ReturnType<typeof tdl.createBareClient>

/**
 * Objects tdl itself reads inside: errors (it rejects with TDLibError) and
 * the updates it tracks (version, connection state, authorization state,
 * whose authorizationStateClosed closes the client). They keep tdl's path.
 */
const TDL_READS = new Set(['error', 'updateOption', 'updateConnectionState', 'updateAuthorizationState'])
const RAW = Symbol('TDLib object')

interface StandIn { _: string, '@extra'?: unknown, [RAW]: TdObject }

/**
 * What the backend reaches inside tdl 8's Client (dist/client.js): the
 * receive hook (`handleReceive`, which renames and then calls
 * `_handleReceive`), and the send path under `_send` (`_tdjson.tdnew.send`
 * with the client id in `_client.val`). test/tdlib/tdl-backend.test.ts fails
 * when a tdl upgrade changes any of them; the backend then falls back to
 * tdl's own invoke and renaming (slower, still correct).
 */
interface TdlInternals {
  handleReceive?: (res: TdObject) => void
  _handleReceive?: (res: object) => void
  _tdjson?: { tdnew?: { send?: unknown, receive?: unknown } }
  _client?: { isTdn?: unknown, val?: unknown }
  emit(event: 'error', e: unknown): boolean
}

/**
 * Takes an answer to a request sent with directSender, by its @extra; says
 * whether it was one (the object has lost its @extra then).
 */
export type AnswerTaker = (extra: number, answer: TdObject) => boolean

/**
 * tdl renames the type key of every answer and update ('@type' to `_`) at
 * every depth, and the broker renamed it back: two deep copies of each
 * object, together as costly as parsing it. This hands tdl a stand-in with
 * only what it reads (the top-level type and @extra) and TDLib's parsed
 * object attached untouched; fromTdlib takes it back out. With `answers`,
 * answers to the broker's own requests (directSender) do not enter tdl at
 * all: `answers` takes them as TDLib parsed them. tdl's receive loop calls
 * `handleReceive` on the client; if a tdl version lacks it or
 * `_handleReceive`, nothing changes (and fromTdlib renames as before).
 * Returns whether the hook is installed.
 */
export function skipRenaming (handle: TdlClientHandle, answers?: AnswerTaker): boolean {
  const internals = handle as unknown as TdlInternals
  const renaming = internals.handleReceive
  const dispatch = internals._handleReceive
  if (typeof renaming !== 'function' || typeof dispatch !== 'function') return false
  internals.handleReceive = (res: TdObject): void => {
    const extra = res['@extra']
    if (typeof extra === 'number' && answers !== undefined && answers(extra, res)) return
    const type = res['@type']
    if (TDL_READS.has(type)) {
      renaming.call(handle, res)
      return
    }
    const standIn: StandIn = { _: type, [RAW]: res }
    if (extra !== undefined) {
      standIn['@extra'] = extra
      delete res['@extra']
    }
    try {
      dispatch.call(handle, standIn)
    } catch (e) {
      internals.emit('error', e)
    }
  }
  return true
}

/**
 * Sends TDLib JSON text to the client as it is, past tdl's `_send` (which
 * copies the request to rename `_` and encodes it again): the broker's
 * requests already are TDLib JSON. Undefined when this tdl version does not
 * have the internals it needs. The sender throws once the client is closed.
 */
export function directSender (handle: TdlClientHandle): ((json: string) => void) | undefined {
  const internals = handle as unknown as TdlInternals
  const send = internals._tdjson?.tdnew?.send
  const client = internals._client
  if (typeof send !== 'function' || client === undefined || client.isTdn !== true || typeof client.val !== 'number') return undefined
  const sendText = send as (clientId: number, request: string) => void
  return json => {
    const id = client.val
    if (typeof id !== 'number') throw new Error('A closed client cannot be reused')
    sendText(id, json)
  }
}

/**
 * What the backend does after each message tdl's loop hands a client.
 * Usually a drain of what TDLib queued meanwhile (drain.ts; the client
 * registered with the drain when tdl created it). Except after the answer to
 * the last request in flight: nothing else was asked for, so a drain would
 * find no answer, and its td_receive (about 3 µs here) would run before
 * that answer could be written, since the answer goes on only once this
 * handler has returned; and the loop's next receive waits until the answer
 * has gone (late-receive.ts). One request at a time is exactly that case;
 * updates, and answers with more requests in flight, still drain. Without
 * `handleReceive` the client is left to tdl's loop.
 */
function afterEachMessage (handle: TdlClientHandle): void {
  const internals = handle as unknown as TdlInternals
  const handler = internals.handleReceive
  if (typeof handler !== 'function') return
  internals.handleReceive = (res: TdObject): void => {
    const asked = inFlight
    handler.call(handle, res)
    if (asked > 0 && inFlight === 0) {
      lateReceive?.later()
      return
    }
    drain?.run()
  }
}

/** The backend's drain, if koffi is there (for tests and benchmarks). */
export function backendDrain (): Drain | undefined { return drain }

/** The backend's late receive, once a client has installed it (for tests and benchmarks). */
export function backendLateReceive (): LateReceive | undefined { return lateReceiveInstalled ? lateReceive : undefined }

/** What tdl hands back (an answer or update), in TDLib's own form. */
export function fromTdlib (value: unknown): TdObject {
  if (value !== null && typeof value === 'object' && RAW in value) return (value as StandIn)[RAW]
  return fromTdl(value) as TdObject
}

/** The JSON text TDLib receives for `request`, with `extra` as its @extra. */
export function requestText (request: TdObject, extra: number): string {
  let body: TdObject = request
  if (Object.hasOwn(request, '@extra')) {
    body = { ...request }
    delete body['@extra']
  }
  const json = JSON.stringify(body)
  return json.length > 2 ? `${json.slice(0, -1)},"@extra":${extra}}` : `{"@extra":${extra}}`
}

interface Waiter { resolve: (answer: TdObject) => void, reject: (e: Error) => void }

class TdlClient implements TdClient {
  private readonly client: TdlClientHandle
  private closing: Promise<void> | undefined
  private closed = false
  /** Requests sent past tdl (directSender), by their @extra; undefined when this tdl version cannot. */
  private readonly send: ((json: string) => void) | undefined
  private readonly waiting = new Map<number, Waiter>()
  private nextExtra = 1

  constructor (_options: TdClientOptions, private readonly events: TdClientEvents) {
    this.client = tdl.createBareClient()
    const send = directSender(this.client)
    const hooked = skipRenaming(this.client, send === undefined ? undefined : (extra, answer) => this.answered(extra, answer))
    this.send = hooked ? send : undefined
    if (lateReceive !== undefined && !lateReceiveInstalled) {
      // The first client's addon object is the one tdl's loop calls, for every client of the process.
      lateReceiveInstalled = lateReceive.install((this.client as unknown as TdlInternals)._tdjson)
      if (!lateReceiveInstalled) lateReceive = undefined
    }
    if (drain !== undefined || lateReceive !== undefined) afterEachMessage(this.client)
    this.client.on('update', (u: unknown) => { this.events.onUpdate(fromTdlib(u)) })
    this.client.on('error', (e: unknown) => {
      // tdl reports failures of its own handlers here; the client can no
      // longer be trusted, so it is closed (releasing its folder) and reported.
      const reason = e instanceof Error ? e : new Error(String(e))
      void this.close().then(() => { this.finish(reason) })
    })
    this.client.on('close', () => { this.finish() })
  }

  invoke (request: TdObject): Promise<TdObject> {
    if (this.closed) return Promise.reject(new Error('client is closed'))
    handedToTdlib.remember(request)
    const send = this.send
    if (send === undefined) return this.invokeThroughTdl(request)
    const extra = this.nextExtra++
    const text = requestText(request, extra)
    return new Promise((resolve, reject) => {
      this.waiting.set(extra, { resolve, reject })
      try {
        send(text)
        inFlight++
      } catch (e) {
        this.waiting.delete(extra)
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    })
  }

  /** An answer to a request of invoke, as TDLib sent it (an error object included). */
  private answered (extra: number, answer: TdObject): boolean {
    const waiter = this.waiting.get(extra)
    if (waiter === undefined) return false
    this.waiting.delete(extra)
    inFlight--
    delete answer['@extra']
    waiter.resolve(answer)
    return true
  }

  private async invokeThroughTdl (request: TdObject): Promise<TdObject> {
    try {
      // tdl renames `_` to @type itself; requests have no `_` (the protocol refuses it).
      return fromTdlib(await this.client.invoke(request as unknown as Parameters<TdlClientHandle['invoke']>[0]))
    } catch (e) {
      if (e instanceof tdl.TDLibError) return { '@type': 'error', code: e.code, message: e.message }
      throw e
    }
  }

  close (): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closing ??= this.client.close().catch(() => { /* already closing or closed */ })
    return this.closing
  }

  private finish (reason?: Error): void {
    if (this.closed) return
    this.closed = true
    const waiting = [...this.waiting.values()]
    inFlight -= this.waiting.size
    this.waiting.clear()
    for (const w of waiting) w.reject(new Error('Client was closed'))
    this.events.onClosed(reason)
  }
}

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
/**
 * What the broker handed to TDLib recently. TDLib's log is one per process,
 * and so is this (every backend of the process feeds it).
 */
const handedToTdlib = new SecretValues()

export function createTdlBackend (options: TdlBackendOptions): TdBackend {
  if (!configured) {
    tdl.configure({ tdjson: getTdjson(), verbosityLevel: options.verbosity })
    configured = true
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
 * tdl renames the type key of every answer and update ('@type' to `_`) at
 * every depth, and the broker renamed it back: two deep copies of each
 * object, together as costly as parsing it. This hands tdl a stand-in with
 * only what it reads (the top-level type and @extra) and TDLib's parsed
 * object attached untouched; fromTdlib takes it back out. tdl's receive loop
 * calls `handleReceive` on the client, which renames and then calls
 * `_handleReceive`; if a tdl version lacks either, nothing changes (and
 * fromTdlib renames as before).
 */
export function skipRenaming (handle: TdlClientHandle): void {
  const internals = handle as unknown as {
    handleReceive?: (res: TdObject) => void
    _handleReceive?: (res: object) => void
    emit(event: 'error', e: unknown): boolean
  }
  const renaming = internals.handleReceive
  const dispatch = internals._handleReceive
  if (typeof renaming !== 'function' || typeof dispatch !== 'function') return
  internals.handleReceive = (res: TdObject): void => {
    const type = res['@type']
    if (TDL_READS.has(type)) {
      renaming.call(handle, res)
      return
    }
    const standIn: StandIn = { _: type, [RAW]: res }
    if (res['@extra'] !== undefined) {
      standIn['@extra'] = res['@extra']
      delete res['@extra']
    }
    try {
      dispatch.call(handle, standIn)
    } catch (e) {
      internals.emit('error', e)
    }
  }
}

/** What tdl hands back (an answer or update), in TDLib's own form. */
export function fromTdlib (value: unknown): TdObject {
  if (value !== null && typeof value === 'object' && RAW in value) return (value as StandIn)[RAW]
  return fromTdl(value) as TdObject
}

class TdlClient implements TdClient {
  private readonly client: TdlClientHandle
  private closing: Promise<void> | undefined
  private closed = false

  constructor (_options: TdClientOptions, private readonly events: TdClientEvents) {
    this.client = tdl.createBareClient()
    skipRenaming(this.client)
    this.client.on('update', (u: unknown) => { this.events.onUpdate(fromTdlib(u)) })
    this.client.on('error', (e: unknown) => {
      // tdl reports failures of its own handlers here; the client can no
      // longer be trusted, so it is closed (releasing its folder) and reported.
      const reason = e instanceof Error ? e : new Error(String(e))
      void this.close().then(() => { this.finish(reason) })
    })
    this.client.on('close', () => { this.finish() })
  }

  async invoke (request: TdObject): Promise<TdObject> {
    if (this.closed) throw new Error('client is closed')
    handedToTdlib.remember(request)
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
    this.events.onClosed(reason)
  }
}

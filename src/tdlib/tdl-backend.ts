/**
 * The real backend: TDLib through tdl, with prebuilt-tdlib's libtdjson.
 * Clients are created bare, so the broker (not tdl) answers
 * authorizationStateWaitTdlibParameters with parameters it controls.
 */
import * as tdl from 'tdl'
import { getTdjson } from 'prebuilt-tdlib'
import type { TdBackend, TdClient, TdClientEvents, TdClientOptions, TdObject } from './backend.js'
import { fromTdl, toTdl } from './rename.js'

export interface TdlBackendOptions {
  /** TDLib's own verbosity (settings tdlib.debug_level, 0..4). */
  verbosity: number
  /** Receives TDLib's own log lines (verbosity level, text). */
  onLog?: (level: number, message: string) => void
}

let configured = false

export function createTdlBackend (options: TdlBackendOptions): TdBackend {
  if (!configured) {
    tdl.configure({ tdjson: getTdjson(), verbosityLevel: options.verbosity })
    configured = true
  } else {
    tdl.execute({ _: 'setLogVerbosityLevel', new_verbosity_level: options.verbosity })
  }
  if (options.onLog !== undefined) tdl.setLogMessageCallback(Math.max(options.verbosity, 0), options.onLog)
  const version = readVersion()
  return {
    kind: 'tdlib',
    tdlibVersion: version,
    createClient: (opts, events) => new TdlClient(opts, events),
    execute (request: TdObject): TdObject {
      const answer = tdl.execute(toTdl(request) as Parameters<typeof tdl.execute>[0])
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

class TdlClient implements TdClient {
  private readonly client: TdlClientHandle
  private closing: Promise<void> | undefined
  private closed = false

  constructor (_options: TdClientOptions, private readonly events: TdClientEvents) {
    this.client = tdl.createBareClient()
    this.client.on('update', (u: unknown) => { this.events.onUpdate(fromTdl(u) as TdObject) })
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
    try {
      return fromTdl(await this.client.invoke(toTdl(request) as Parameters<TdlClientHandle['invoke']>[0])) as TdObject
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

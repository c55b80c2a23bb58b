/**
 * The seam between the broker and a Telegram implementation. The real one is
 * TDLib through tdl (tdl-backend.ts); the sandbox (an emulated Telegram) plugs
 * in behind the same interface.
 *
 * Objects cross this seam in TDLib's own JSON form: `@type` names the type at
 * every level (never tdl's `_`). `@extra` is the broker's business and never
 * crosses it.
 */

/** A TDLib object or function in JSON form. */
export interface TdObject {
  '@type': string
  [field: string]: unknown
}

/** TDLib's error object, as TDLib returns it for a failed request. */
export interface TdError extends TdObject {
  '@type': 'error'
  code: number
  message: string
}

export function isTdError(value: TdObject): value is TdError {
  return value['@type'] === 'error'
}

/** Receives what a client emits. Called synchronously, in order. */
export interface TdClientEvents {
  /** Every update TDLib sends, in the order it sends them. */
  onUpdate(update: TdObject): void
  /**
   * The client is gone for good (authorizationStateClosed, or a fatal backend
   * failure). Called once. No update follows.
   */
  onClosed(reason?: Error): void
}

export interface TdClientOptions {
  /** The broker's id for this session; a backend may use it for logs or state. */
  sessionId: string
  /** Absolute path of the session's folder; the backend owns what is inside. */
  directory: string
}

/** One TDLib client instance: one Telegram account. */
export interface TdClient {
  /**
   * Sends one request. Resolves with TDLib's answer, which is an `error`
   * object when TDLib refuses the request: TDLib errors never reject. Rejects
   * only when the client is closed or the backend itself failed.
   */
  invoke(request: TdObject): Promise<TdObject>
  /**
   * Closes the client cleanly (TDLib `close`) and resolves once it is closed
   * and its folder released. Safe to call more than once.
   */
  close(): Promise<void>
}

export interface TdBackend {
  /** `tdlib` for real TDLib, `sandbox` for the emulated Telegram. */
  readonly kind: 'tdlib' | 'sandbox'
  /** The TDLib version this backend speaks, e.g. "1.8.65". */
  readonly tdlibVersion: string
  /**
   * Creates a client. Its first update is
   * updateAuthorizationState(authorizationStateWaitTdlibParameters).
   */
  createClient(options: TdClientOptions, events: TdClientEvents): TdClient
  /** TDLib's synchronous `execute`, for the methods that allow it. */
  execute(request: TdObject): TdObject
  /** Releases process-wide resources once every client is closed. */
  shutdown(): Promise<void>
}

/**
 * `backend` with its clients made by `createClient` (which wraps the
 * backend's own): kind, version, execute and shutdown pass through.
 */
export function withClients (backend: TdBackend, createClient: TdBackend['createClient']): TdBackend {
  return {
    kind: backend.kind,
    tdlibVersion: backend.tdlibVersion,
    execute: request => backend.execute(request),
    shutdown: async () => { await backend.shutdown() },
    createClient
  }
}

/**
 * The requests of a session's start that open its TDLib folder: the proxy
 * first, then the parameters with whichever configured key opens the
 * folder, then the move to the current key (database-key.ts). Kept apart
 * from session.ts, which owns the lifecycle; this file owns the order of
 * requests and what TDLib's answers mean.
 */
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import { BrokerError } from '../errors.js'
import { isTdError, type TdClient, type TdObject } from '../tdlib/backend.js'
import { isWrongKeyError, noKeyOpensMessage, type DatabaseKey } from './database-key.js'
import { addProxyRequest } from './tdlib-parameters.js'

/** How long TDLib may take to answer one request of the start before the start fails. */
const START_TIMEOUT_MS = 30_000

/** A TDLib client and a promise that resolves once it has closed. */
export interface OpenedClient {
  client: TdClient
  closed: Promise<void>
}

/** What the opening needs of its session. */
export interface OpenContext {
  readonly id: string
  readonly log: Logger
  readonly settings: Settings
  /** The key id the folder's meta file records, if any. */
  readonly recordedKeyId: string | undefined
  /** Whether `client` is still the session's client (it closed, or was dropped, otherwise). */
  isCurrent(client: TdClient): boolean
  /** Makes a new client the session's current one. */
  newClient(): OpenedClient
  /** Stops treating the current client as the session's (its updates and its closing are ignored). */
  dropCurrent(): void
  /** Records in the meta file that the folder now uses `key`. */
  recordKey(key: DatabaseKey): Promise<void>
}

/** `work`, failing the start when TDLib takes longer than START_TIMEOUT_MS. */
async function bounded<T> (work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`TDLib did not answer ${what} within ${START_TIMEOUT_MS / 1000} s`)) }, START_TIMEOUT_MS)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** TDLib's answer, bounded in time; fails when the client stopped being the session's meanwhile. */
async function answer (ctx: OpenContext, client: TdClient, request: TdObject, what: string): Promise<TdObject> {
  const result = await bounded(client.invoke(request), what)
  if (!ctx.isCurrent(client)) throw new Error(`TDLib closed during ${what}`)
  return result
}

function failed (ctx: OpenContext, what: string, result: TdObject): BrokerError {
  return new BrokerError('SESSION_START_FAILED', `session ${ctx.id}: ${what} failed: ${String(result.code)} ${String(result.message)}`)
}

async function expectOk (ctx: OpenContext, client: TdClient, request: TdObject, what: string): Promise<void> {
  const result = await answer(ctx, client, request, what)
  if (isTdError(result)) throw failed(ctx, what, result)
}

/**
 * Sends addProxy (when set), then setTdlibParameters with each candidate
 * key until one opens the folder; returns that key. addProxy goes first
 * because TDLib holds it until the parameters are set and applies it before
 * it opens any connection: sent after them, TDLib has already connected to
 * Telegram directly once.
 */
export async function openDatabase (ctx: OpenContext, client: TdClient, params: TdObject, candidates: readonly DatabaseKey[]): Promise<DatabaseKey> {
  const proxy = ctx.settings.tdlib.proxy
  const proxied = proxy === undefined ? undefined : expectOk(ctx, client, addProxyRequest(proxy), 'addProxy')
  proxied?.catch(() => {}) // awaited below, unless the parameters fail first
  let opened: DatabaseKey | undefined
  for (const key of candidates) {
    const result = await answer(ctx, client, { ...params, database_encryption_key: key.tdlib }, 'setTdlibParameters')
    if (!isTdError(result)) {
      opened = key
      break
    }
    if (!isWrongKeyError(result)) throw failed(ctx, 'setTdlibParameters', result)
  }
  if (opened === undefined) throw new BrokerError('SESSION_START_FAILED', noKeyOpensMessage(ctx.id, candidates, ctx.recordedKeyId))
  await proxied
  return opened
}

/**
 * The folder opened with an older key (or none): moves it to `current`. A
 * logged-in folder gets TDLib's setDatabaseEncryptionKey at once. One with
 * no login yet (authorizationStateWaitPhoneNumber) holds nothing of an
 * account, and TDLib refuses that request before a login: TDLib's own
 * `destroy` drops its database, which is made anew with the current key.
 * One in the middle of a login keeps its key until it is logged in: then
 * `keyToMove` is set, for moveKey at authorizationStateReady.
 */
export async function moveToKey (ctx: OpenContext, opened: OpenedClient, params: TdObject, key: DatabaseKey, current: DatabaseKey): Promise<{ opened: OpenedClient, keyToMove?: DatabaseKey }> {
  const { client } = opened
  await ctx.recordKey(key)
  const state = (await answer(ctx, client, { '@type': 'getAuthorizationState' }, 'getAuthorizationState'))['@type']
  if (state === 'authorizationStateReady') {
    await moveKey(ctx, client, current)
    return { opened }
  }
  if (state !== 'authorizationStateWaitPhoneNumber') {
    ctx.log.info({ from: key.id, to: current.id, state }, 'session database is on an older key; it moves to the current one once the login completes')
    return { opened, keyToMove: current }
  }
  ctx.dropCurrent()
  const destroyed = await bounded(client.invoke({ '@type': 'destroy' }), 'destroy')
  if (isTdError(destroyed)) throw failed(ctx, 'destroy', destroyed)
  await bounded(opened.closed, 'destroy')
  const fresh = ctx.newClient()
  await openDatabase(ctx, fresh.client, params, [current])
  await ctx.recordKey(current)
  ctx.log.info({ from: key.id, to: current.id }, 'session folder had no login yet: its TDLib database was made anew with the current key')
  return { opened: fresh }
}

/** setDatabaseEncryptionKey on a logged-in client; a failure is logged, never fatal (the next start tries again). */
export async function moveKey (ctx: OpenContext, client: TdClient, key: DatabaseKey): Promise<void> {
  const result = await client.invoke({ '@type': 'setDatabaseEncryptionKey', new_encryption_key: key.tdlib })
    .catch((e: unknown) => ({ '@type': 'error', code: 500, message: e instanceof Error ? e.message : String(e) }))
  if (isTdError(result)) {
    ctx.log.error({ err: `${result.code} ${result.message}` }, 'cannot move the session database to the current key; it keeps its old key, and the next start tries again')
    return
  }
  await ctx.recordKey(key)
  ctx.log.info({ key_id: key.id }, 'session database moved to the current encryption key')
}

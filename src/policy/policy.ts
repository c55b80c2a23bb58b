/**
 * What a connection may send and receive. The global whitelists come from
 * settings; a client's scope (scope.ts) may only narrow them.
 */
import type { Settings } from '../settings/types.js'
import { SeenIds } from './seen-ids.js'

/**
 * Requests the broker owns. They are refused whatever a whitelist says:
 * they would let a client choose the session's folder, redirect or silence
 * TDLib's process-wide log, or change the database key the broker opens the
 * session with.
 */
export const RESERVED_REQUESTS: ReadonlySet<string> = new Set([
  'setTdlibParameters',
  'setDatabaseEncryptionKey',
  'setLogStream',
  'setLogVerbosityLevel',
  'setLogTagVerbosityLevel'
])

/** Updates every attached connection receives, whatever allowed_updates says. */
export const ALWAYS_ALLOWED_UPDATES: ReadonlySet<string> = new Set([
  'updateAuthorizationState',
  'updateConnectionState'
])

export interface Policy {
  allowsRequest(type: string): boolean
  allowsUpdate(type: string): boolean
  /** Absolute folders whose files may be named by local path (local-files.ts); empty: none. */
  readonly localFiles: readonly string[]
}

/** What a session looks like to a policy. */
export interface SessionRef {
  readonly id: string
  /** Name of the client that created it, when one did (persisted in the session folder). */
  readonly creator?: string | undefined
}

/**
 * A connection's policy: the global whitelists, narrowed by its client's
 * scope when the broker has a clients list (scope.ts).
 */
export interface ClientPolicy extends Policy {
  /** May it list, attach and act on this session? */
  allowsSession(session: SessionRef): boolean
  readonly mayCreateSessions: boolean
  /** The chats it may act on and hear about; undefined means every chat. */
  readonly chats: ReadonlySet<number> | undefined
  /** May it send login requests and see the login flow in full (links, code info, hints)? */
  readonly login: boolean
  /** May it send the account-wide requests of account.ts (proxies, network type, close, destroy, logOut)? */
  readonly account: boolean
  /** May it set this TDLib option with setOption? */
  allowsOption(name: string): boolean
  /** File, call and group call ids it was shown in its chats (chat-scoped clients only). */
  readonly seen: SeenIds | undefined
}

/** The global whitelists of settings.json. Names match exactly (case-sensitive). */
export function globalPolicy (settings: Pick<Settings, 'allowed_requests' | 'allowed_updates'> & Partial<Pick<Settings, 'local_files'>>): Policy {
  const requests = new Set(settings.allowed_requests)
  const updates = new Set(settings.allowed_updates)
  return {
    allowsRequest: type => !RESERVED_REQUESTS.has(type) && requests.has(type),
    allowsUpdate: type => ALWAYS_ALLOWED_UPDATES.has(type) || updates.has(type),
    localFiles: Object.freeze([...settings.local_files ?? []])
  }
}

/** Every connection's policy when the broker has no clients list: the global whitelists, every session. */
export function openPolicy (global: Policy): ClientPolicy {
  return {
    allowsRequest: type => global.allowsRequest(type),
    allowsUpdate: type => global.allowsUpdate(type),
    allowsSession: () => true,
    mayCreateSessions: true,
    chats: undefined,
    localFiles: global.localFiles,
    login: true,
    account: true,
    allowsOption: () => true,
    seen: undefined
  }
}

/** The policy of a connection that has not proved who it is: nothing at all. */
export const DENY_ALL: ClientPolicy = Object.freeze({
  allowsRequest: () => false,
  allowsUpdate: () => false,
  allowsSession: () => false,
  mayCreateSessions: false,
  chats: new Set<number>(),
  localFiles: [],
  login: false,
  account: false,
  allowsOption: () => false,
  seen: undefined
})

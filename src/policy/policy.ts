/**
 * What a connection may send and receive. The global whitelists come from
 * settings; a later per-client scope may only narrow them.
 */
import type { Settings } from '../settings/types.js'

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
}

/** The global whitelists of settings.json. Names match exactly (case-sensitive). */
export function globalPolicy (settings: Pick<Settings, 'allowed_requests' | 'allowed_updates'>): Policy {
  const requests = new Set(settings.allowed_requests)
  const updates = new Set(settings.allowed_updates)
  return {
    allowsRequest: type => !RESERVED_REQUESTS.has(type) && requests.has(type),
    allowsUpdate: type => ALWAYS_ALLOWED_UPDATES.has(type) || updates.has(type)
  }
}

/**
 * A client's scope as a policy. Every part is an intersection with the
 * global whitelists: a scope can take away, never add. Names match exactly,
 * like the global lists (case-sensitive, no trimming, no normalisation), so
 * a look-alike of an allowed name is simply another, unlisted name.
 */
import type { ClientScopeSettings } from '../settings/types.js'
import { narrowFolders } from './local-paths.js'
import { ALWAYS_ALLOWED_UPDATES, type ClientPolicy, type Policy, type SessionRef } from './policy.js'

export function scopedPolicy (global: Policy, clientName: string, scope: ClientScopeSettings): ClientPolicy {
  const requests = scope.allowed_requests === undefined ? undefined : new Set(scope.allowed_requests)
  const updates = scope.allowed_updates === undefined ? undefined : new Set(scope.allowed_updates)
  const listed = Array.isArray(scope.sessions) ? new Set<string>(scope.sessions) : undefined
  const sessions = scope.sessions
  const allowsSession = (session: SessionRef): boolean => {
    if (listed !== undefined) return listed.has(session.id)
    if (sessions === 'own') return session.creator !== undefined && session.creator === clientName
    return sessions === 'all'
  }
  return Object.freeze({
    allowsRequest: (type: string) => global.allowsRequest(type) && (requests === undefined || requests.has(type)),
    // The state updates stay exempt, as globally: a client must always know whether its session works.
    allowsUpdate: (type: string) => global.allowsUpdate(type) &&
      (updates === undefined || updates.has(type) || ALWAYS_ALLOWED_UPDATES.has(type)),
    allowsSession,
    mayCreateSessions: scope.may_create_sessions,
    chats: scope.chats === undefined ? undefined : new Set(scope.chats),
    localFiles: scope.local_files === undefined ? global.localFiles : narrowFolders(global.localFiles, scope.local_files)
  })
}

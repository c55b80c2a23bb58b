/**
 * A client's scope as a policy. Every part is an intersection with the
 * global whitelists: a scope can take away, never add. Names match exactly,
 * like the global lists (case-sensitive, no trimming, no normalisation), so
 * a look-alike of an allowed name is simply another, unlisted name.
 */
import type { ClientScopeSettings } from '../settings/types.js'
import { narrowFolders } from './local-paths.js'
import { RESERVED_OPTIONS } from './account.js'
import { ALWAYS_ALLOWED_UPDATES, type ClientPolicy, type Policy, type SessionRef } from './policy.js'
import { SeenIds } from './seen-ids.js'

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
  const chatScoped = scope.chats !== undefined
  // Without a list, a chat-scoped client sets no option; any other client every option but the reserved ones.
  const options = scope.options === undefined ? undefined : new Set(scope.options)
  const allowsOption = (name: string): boolean =>
    options !== undefined ? options.has(name) : !chatScoped && !RESERVED_OPTIONS.has(name)
  return Object.freeze({
    allowsRequest: (type: string) => global.allowsRequest(type) && (requests === undefined || requests.has(type)),
    // The state updates stay exempt, as globally: a client must always know whether its session works.
    allowsUpdate: (type: string) => global.allowsUpdate(type) &&
      (updates === undefined || updates.has(type) || ALWAYS_ALLOWED_UPDATES.has(type)),
    allowsSession,
    mayCreateSessions: scope.may_create_sessions,
    chats: scope.chats === undefined ? undefined : new Set(scope.chats),
    localFiles: scope.local_files === undefined ? global.localFiles : narrowFolders(global.localFiles, scope.local_files),
    // The login flow is the account's key: a client limited to some chats gets it only when its scope says so.
    login: scope.login ?? !chatScoped,
    account: scope.account ?? false,
    allowsOption,
    seen: chatScoped ? new SeenIds() : undefined
  })
}

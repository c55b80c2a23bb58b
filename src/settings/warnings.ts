/**
 * Things in valid settings that are probably mistakes. They are warnings, not
 * errors: siptg's own example whitelists names TDLib does not have (receiveCall,
 * restoreCall), and it must keep loading.
 */
import type { Settings } from './types.js'
import { RESERVED_REQUESTS } from '../policy/policy.js'
import { closest } from './explain.js'
import { forbiddenFolders } from '../policy/local-files.js'
import { isWithin, narrowFolders } from '../policy/local-paths.js'
import { TDLIB_FUNCTIONS, TDLIB_TYPES, TDLIB_UPDATES, TDLIB_VERSION } from './tdlib-names.js'


/** Every warning about `settings`, one sentence each, starting with the JSON path it is about. */
export function settingsWarnings (settings: Settings): string[] {
  const warnings: string[] = []
  const warn = (path: string, text: string) => warnings.push(`${path}: ${text}`)
  const { tdlib } = settings

  if (tdlib.backend === 'tdlib') {
    const missing = ['api_id', 'api_hash'].filter(k => tdlib[k as 'api_id' | 'api_hash'] === undefined)
    if (missing.length > 0) {
      warn('/tdlib', `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set, so sessions cannot log in (get them at https://my.telegram.org/apps)`)
    } else if (!/^[0-9a-f]{32}$/i.test(tdlib.api_hash!)) {
      warn('/tdlib/api_hash', 'is not the 32 hexadecimal digits that my.telegram.org issues, so Telegram will likely refuse it')
    }
  }

  if (settings.allowed_requests.length === 0) {
    warn('/allowed_requests', 'is empty, so every TDLib request will be refused')
  }
  checkNames('/allowed_requests', settings.allowed_requests, TDLIB_FUNCTIONS, 'request type', warn)
  checkNames('/allowed_updates', settings.allowed_updates, TDLIB_UPDATES, 'update type', warn)
  settings.allowed_requests.forEach((name, i) => {
    if (RESERVED_REQUESTS.has(name)) {
      warn(`/allowed_requests/${i}`, `the broker always refuses ${name} from clients; this entry is ignored`)
    }
  })

  const allowed = new Set(settings.allowed_requests)
  for (const name of Object.keys(settings.request_peers)) {
    const path = `/request_peers/${name}`
    if (!TDLIB_FUNCTIONS.has(name)) warn(path, unknown(name, TDLIB_FUNCTIONS, 'request type'))
    else if (!allowed.has(name)) warn(path, `${name} is not in allowed_requests, so this entry never applies`)
  }
  // Formatting applies to any object inside a request, the request itself included.
  const isType = (n: string) => TDLIB_TYPES.has(n) || TDLIB_FUNCTIONS.has(n) || TDLIB_UPDATES.has(n)
  for (const name of Object.keys(settings.format_fields)) {
    if (!isType(name)) warn(`/format_fields/${name}`, unknown(name, [...TDLIB_TYPES, ...TDLIB_FUNCTIONS], 'type'))
  }
  clientWarnings(settings, warn)
  localFilesWarnings(settings, warn)
  return warnings
}

/** local_files folders that can never allow a file: inside the broker's own folders, or outside the global list. */
function localFilesWarnings (settings: Settings, warn: Warn): void {
  const forbidden = forbiddenFolders(settings)
  settings.local_files.forEach((folder, i) => {
    const inside = forbidden.find(f => isWithin(folder, f))
    if (inside !== undefined) warn(`/local_files/${i}`, `${folder} is inside ${inside}, which the broker keeps from clients, so no file from it is ever allowed`)
  })
  settings.clients?.forEach((client, i) => {
    const scope = client.scope.local_files
    if (scope !== undefined && scope.length > 0 && narrowFolders(settings.local_files, scope).length === 0) {
      warn(`/clients/${i}/scope/local_files`, 'no folder is within the global local_files, so this client may name no local file')
    }
  })
}

/** The clients list: its absence, and scope entries that can never apply (docs/clients.md). */
function clientWarnings (settings: Settings, warn: Warn): void {
  if (settings.clients === undefined) {
    warn('/clients', 'not set, so every connection is trusted: anyone who can reach the broker\'s ports has full access to every session (declare clients: docs/clients.md)')
    return
  }
  if (settings.clients.length === 0) {
    warn('/clients', 'is empty, so no connection can authenticate: every request but broker.ping and broker.getVersion is refused')
  }
  const global = { allowed_requests: new Set(settings.allowed_requests), allowed_updates: new Set(settings.allowed_updates) }
  settings.clients.forEach((client, i) => {
    for (const key of ['allowed_requests', 'allowed_updates'] as const) {
      const path = `/clients/${i}/scope/${key}`
      const names = client.scope[key]
      if (names === undefined) continue
      checkNames(path, names, key === 'allowed_requests' ? TDLIB_FUNCTIONS : TDLIB_UPDATES, key === 'allowed_requests' ? 'request type' : 'update type', warn)
      names.forEach((name, j) => {
        if (!global[key].has(name) && (key === 'allowed_requests' ? TDLIB_FUNCTIONS : TDLIB_UPDATES).has(name)) {
          warn(`${path}/${j}`, `${name} is not in the global ${key}, and a scope only narrows it, so this entry never applies`)
        }
      })
    }
    if (Array.isArray(client.scope.sessions) && client.scope.may_create_sessions) {
      warn(`/clients/${i}/scope`, 'sessions is a list of ids, so sessions this client creates are not in it: set may_create_sessions to false, or sessions to "own"')
    }
  })
}

type Warn = (path: string, text: string) => void

function checkNames (path: string, names: readonly string[], known: ReadonlySet<string>, kind: string, warn: Warn): void {
  const seen = new Set<string>()
  names.forEach((name, i) => {
    if (seen.has(name)) warn(`${path}/${i}`, `"${name}" is listed more than once`)
    else if (!known.has(name)) warn(`${path}/${i}`, unknown(name, known, kind))
    seen.add(name)
  })
}

/** "<name> is not a TDLib <version> <kind>; <hint>", where kind is "request type", "update type" or "type". */
function unknown (name: string, known: Iterable<string>, kind: string): string {
  const guess = closest(name, known)
  const hint = guess === undefined ? 'is it a typo?' : `did you mean ${guess}?`
  return `${name} is not a TDLib ${TDLIB_VERSION} ${kind}; ${hint}`
}

/**
 * Reloading clients and whitelists (SIGHUP) without dropping sessions: the
 * broker swaps in a new ClientDirectory, then every open connection is
 * re-evaluated against it at once (Connection.reevaluate).
 */
import type { AuditLog } from '../audit/audit.js'
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import type { Reevaluation } from '../server/connection.js'

/** What a reload did. */
export interface ReloadSummary {
  /** Clients in the new settings (0 without a clients list). */
  clients: number
  /** Connections re-evaluated. */
  connections: number
  /** Connections closed: their client was removed, its key or certificate changed, or authentication became required. */
  closed: number
  /** Attachments ended because a scope no longer covers the session. */
  revoked: number
  /** Options that differ from the running ones but only take effect on a restart. */
  restart_needed: string[]
}

/** Options a reload applies; every other change waits for a restart. */
export const RELOADABLE: ReadonlySet<string> = new Set(['clients', 'allowed_requests', 'allowed_updates', 'audit_file'])

/** Re-evaluates every connection and reports, in the log and the audit trail. */
export function reevaluateConnections (
  connections: Iterable<{ reevaluate(): Reevaluation }>, running: Settings, next: Settings, clients: number, log: Logger, audit: AuditLog
): ReloadSummary {
  const summary: ReloadSummary = { clients, connections: 0, closed: 0, revoked: 0, restart_needed: changedOptions(running, next) }
  for (const connection of [...connections]) {
    const r = connection.reevaluate()
    summary.connections++
    if (r.closed) summary.closed++
    summary.revoked += r.revoked
  }
  audit.record(log, 'info', 'clients.reload', 'clients and whitelists reloaded', { client: '-', ...summary })
  if (summary.restart_needed.length > 0) {
    log.warn({ options: summary.restart_needed }, 'reload: these changed options take effect only after a restart')
  }
  return summary
}

/** Top-level options, other than the reloadable ones, whose values differ. */
function changedOptions (a: Settings, b: Settings): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  const changed: string[] = []
  for (const key of keys) {
    if (RELOADABLE.has(key) || key === 'file' || key === 'base_dir') continue
    const x = (a as unknown as Record<string, unknown>)[key]
    const y = (b as unknown as Record<string, unknown>)[key]
    if (JSON.stringify(x) !== JSON.stringify(y)) changed.push(key)
  }
  return changed
}

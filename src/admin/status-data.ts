/**
 * What /status.json shows a person (the status page renders it): sessions
 * with their state, account and attached connections; clients with a
 * summary of their scope and their request rate; certificate expiry; the
 * MySQL mirror; the cluster (not configured yet). Read-only and without
 * secrets: no keys, key hashes, tokens, codes or full phone numbers.
 */
import type { ClientDirectory } from '../clients/directory.js'
import type { CertificateInfo } from '../certs/inspect.js'
import type { FloodWait } from '../limits/flood-waits.js'
import type { ClientRate, ClientRates } from '../metrics/client-rates.js'
import type { ClientScopeSettings } from '../settings/types.js'
import type { SessionRecord } from '../store/records.js'

/** The parts of the broker the status reads; every function is called once per /status.json. */
export interface StatusSource {
  readonly state: string
  readonly startedAt: number
  sessions(): Iterable<{ readonly id: string, readonly state: string, readonly authorizationState: string | undefined, readonly creator: string | undefined }>
  connections(): Iterable<{
    readonly id: string
    readonly identity: { readonly name: string, readonly auth: string }
    readonly transport: { readonly kind: string, readonly remote: string }
    readonly sessions: Iterable<{ readonly id: string }>
  }>
  clients(): ClientDirectory
  /** What the store learned of a session's account at login (getMe). */
  account(session: string): SessionRecord | undefined
  certificate(): CertificateInfo | undefined
  mysql(): { readonly state: string, readonly queued: number, readonly backupsPending: number } | undefined
  floodWaits(): FloodWait[]
  readonly rates: ClientRates
  /** Wall clock (ms since the epoch). */
  now(): number
}

export interface StatusConnection { id: string, client: string, auth: string, transport: string, remote: string, sessions: string[] }

/** "•••67": enough to tell two accounts apart, not enough to call one. */
export function maskPhone (digits: string): string {
  return digits.length <= 2 ? '•••' : `•••${digits.slice(-2)}`
}

/** A client's scope in a few words per field (lists counted, not listed: they can be long). */
export function scopeSummary (scope: ClientScopeSettings): Record<string, string> {
  const list = (l: readonly unknown[] | undefined, what: string, absent: string): string => l === undefined ? absent : `${l.length} ${what}`
  const limit = scope.rate_limit
  const perType = Object.keys(limit?.per_type ?? {}).length
  return {
    requests: list(scope.allowed_requests, 'types', 'global list'),
    updates: list(scope.allowed_updates, 'types', 'global list'),
    sessions: typeof scope.sessions === 'string' ? scope.sessions : `${scope.sessions.length} listed`,
    create_sessions: scope.may_create_sessions ? 'yes' : 'no',
    chats: list(scope.chats, 'chats', 'all'),
    login: scope.login === undefined ? (scope.chats === undefined ? 'yes' : 'no') : scope.login ? 'yes' : 'no',
    account: scope.account === true ? 'yes' : 'no',
    rate_limit: limit === undefined
      ? 'none'
      : [limit.requests_per_second === undefined ? undefined : `${limit.requests_per_second}/s${limit.burst === undefined ? '' : ` burst ${limit.burst}`}`,
          perType > 0 ? `${perType} per type` : undefined].filter(s => s !== undefined).join(', ') || 'none'
  }
}

/** The document /status.json answers. */
export function statusDocument (source: StatusSource, version: string): Record<string, unknown> {
  const now = source.now()
  const monotonic = performance.now()
  const connections: StatusConnection[] = [...source.connections()].map(c => ({
    id: c.id,
    client: c.identity.name,
    auth: c.identity.auth,
    transport: c.transport.kind,
    remote: c.transport.remote,
    sessions: [...c.sessions].map(s => s.id)
  }))
  const floods = source.floodWaits()
  const sessions = [...source.sessions()].map(s => {
    const record = source.account(s.id)
    return {
      session: s.id,
      state: s.state,
      authorization_state: s.authorizationState ?? null,
      account: record?.user_id === undefined
        ? null
        : { user_id: record.user_id, is_bot: record.is_bot === true, ...(record.phone === undefined ? {} : { phone: maskPhone(record.phone) }) },
      creator: s.creator ?? null,
      connections: connections.filter(c => c.sessions.includes(s.id)).map(c => ({ id: c.id, client: c.client })),
      flood_waits: floods.filter(w => w.session === s.id).map(w => ({ type: w.type, seconds_left: Math.ceil((w.until - now) / 1000) }))
    }
  })
  const directory = source.clients()
  const names = new Set([...directory.names(), ...connections.map(c => c.client)])
  const clients = [...names].map(name => {
    const entry = directory.byName(name)
    const rate: ClientRate = source.rates.rate(name, monotonic)
    return {
      name,
      configured: entry !== undefined,
      connections: connections.filter(c => c.client === name).length,
      scope: entry === undefined ? null : scopeSummary(entry.settings.scope),
      requests: rate
    }
  })
  const cert = source.certificate()
  const mysql = source.mysql()
  return {
    generated_at: new Date(now).toISOString(),
    version,
    broker: source.state,
    uptime_seconds: Math.round((now - source.startedAt) / 1000),
    clients_required: directory.required,
    sessions,
    clients,
    connections,
    certificate: cert === undefined
      ? null
      : { subject: cert.subject, not_after: cert.notAfter.toISOString(), seconds_left: Math.round((cert.notAfter.getTime() - now) / 1000) },
    mysql: mysql === undefined ? null : { state: mysql.state, queued: mysql.queued, backups_pending: mysql.backupsPending },
    // Cluster mode does not exist yet: the page shows "not configured".
    cluster: null
  }
}

/**
 * The broker's own requests (`@type` starting with "broker."), documented in
 * docs/protocol.md. They never reach TDLib.
 */
import { BrokerError } from '../errors.js'
import { PROTOCOL_VERSION, VERSION } from '../version.js'
import type { Connection } from './connection.js'
import type { Incoming } from './wire.js'

type Handler = (conn: Connection, message: Record<string, unknown>) => Promise<Record<string, unknown> & { '@type': string }>

const handlers: Record<string, Handler> = {
  'broker.ping': async () => ({ '@type': 'broker.pong' }),

  'broker.getVersion': async conn => ({
    '@type': 'broker.version',
    version: VERSION,
    protocol_version: PROTOCOL_VERSION,
    tdlib_version: conn.core.backend.tdlibVersion,
    backend: conn.core.backend.kind
  }),

  'broker.createSession': async (conn, m) => {
    const attach = m.attach === undefined ? true : m.attach
    if (typeof attach !== 'boolean') throw new BrokerError('INVALID_REQUEST', 'attach must be true or false')
    const session = await conn.core.registry.create()
    if (attach) await conn.attach(session)
    return { '@type': 'broker.session', session: session.id, attached: attach }
  },

  'broker.attachSession': async (conn, m) => {
    const session = conn.core.registry.resolve(m.session)
    await conn.attach(session)
    return { '@type': 'broker.attached', session: session.id, authorization_state: session.authorizationState ?? null, last_seq: session.lastSeq }
  },

  'broker.detachSession': async (conn, m) => {
    const session = conn.core.registry.resolve(m.session)
    if (!conn.detach(session)) throw new BrokerError('NOT_ATTACHED', `this connection is not attached to session ${session.id}`)
    return { '@type': 'broker.detached', session: session.id }
  },

  'broker.listSessions': async conn => ({
    '@type': 'broker.sessions',
    sessions: conn.core.registry.list().map(s => ({
      session: s.id,
      state: s.state,
      clients: s.memberCount,
      attached: conn.sessions.has(s),
      authorization_state: s.authorizationState ?? null
    }))
  }),

  'broker.getStatus': async conn => ({
    '@type': 'broker.status',
    version: VERSION,
    protocol_version: PROTOCOL_VERSION,
    backend: conn.core.backend.kind,
    tdlib_version: conn.core.backend.tdlibVersion,
    uptime_seconds: Math.round((Date.now() - conn.core.startedAt) / 1000),
    sessions_known: conn.core.registry.list().length,
    sessions_running: conn.core.registry.runningCount,
    clients_connected: conn.core.connectionCount,
    ...conn.core.statusExtras()
  })
}

/** Names of every control request, for docs and tests. */
export const CONTROL_REQUESTS: readonly string[] = Object.keys(handlers)

export async function handleControl (conn: Connection, incoming: Incoming): Promise<void> {
  const to = { hasExtra: incoming.hasExtra, extra: incoming.extra }
  const handler = Object.hasOwn(handlers, incoming.type) ? handlers[incoming.type] : undefined
  if (handler === undefined) {
    throw new BrokerError('UNKNOWN_CONTROL_REQUEST', `${incoming.type} is not a broker request (known: ${CONTROL_REQUESTS.join(', ')})`)
  }
  conn.sendReply(await handler(conn, incoming.message), to)
}

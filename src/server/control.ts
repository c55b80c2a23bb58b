/**
 * The broker's own requests (`@type` starting with "broker."), documented in
 * docs/protocol.md. They never reach TDLib. Sessions a connection's client
 * may not see are refused here (SESSION_NOT_ALLOWED) and left out of lists.
 */
import { BrokerError } from '../errors.js'
import { PROTOCOL_VERSION, VERSION } from '../version.js'
import { readFile, uploadFile, type FileRequester } from '../files/file-requests.js'
import type { ResumeResult, Session } from '../session/session.js'
import type { TdObject } from '../tdlib/backend.js'
import type { BrokerCore } from './core.js'
import type { ClientIdentity } from './pipeline.js'
import type { Incoming, ReplyTo } from './wire.js'

export type ControlReply = Record<string, unknown> & { '@type': string }

/**
 * What control requests ask of a connection. A small interface, so this file
 * does not import connection.ts: the connection calls handleControl, and
 * handleControl asks back only through these.
 */
export interface ControlConnection extends FileRequester {
  readonly core: BrokerCore
  readonly identity: ClientIdentity
  visibleSession(id: unknown): Session
  attach(session: Session, lastSeq?: number): Promise<ResumeResult | undefined>
  detach(session: Session, reason?: string): boolean
  created(session: Session): void
  authenticate(m: Record<string, unknown>, to: ReplyTo): Promise<ControlReply | undefined>
  sendReply(object: TdObject, to: ReplyTo): void
}

/** A handler answers with a reply, or with undefined when it has answered (or closed) by itself. */
type Handler = (conn: ControlConnection, message: Record<string, unknown>, to: ReplyTo) => Promise<ControlReply | undefined>

const handlers: Record<string, Handler> = {
  'broker.ping': async () => ({ '@type': 'broker.pong' }),

  'broker.getVersion': async conn => ({
    '@type': 'broker.version',
    version: VERSION,
    protocol_version: PROTOCOL_VERSION,
    tdlib_version: conn.core.backend.tdlibVersion,
    backend: conn.core.backend.kind
  }),

  'broker.authenticate': async (conn, m, to) => await conn.authenticate(m, to),

  'broker.createSession': async (conn, m) => {
    const attach = m.attach === undefined ? true : m.attach
    if (typeof attach !== 'boolean') throw new BrokerError('INVALID_REQUEST', 'attach must be true or false')
    const { identity } = conn
    if (!identity.policy.mayCreateSessions) throw new BrokerError('SESSION_CREATE_NOT_ALLOWED', `client ${identity.name} may not create sessions`)
    // Sessions made without a clients list belong to nobody in particular.
    const session = await conn.core.registry.create(identity.auth === 'open' ? undefined : identity.name)
    conn.created(session)
    // A client whose scope lists sessions by id cannot see the new one until the list names it.
    const attached = attach && identity.policy.allowsSession(session)
    if (attached) await conn.attach(session)
    return { '@type': 'broker.session', session: session.id, attached }
  },

  'broker.attachSession': async (conn, m) => {
    const lastSeq = m.last_seq
    if (lastSeq !== undefined && (typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0)) {
      throw new BrokerError('INVALID_REQUEST', 'last_seq must be a whole number of at least 0 (the @seq of the last update you received)')
    }
    const session = conn.visibleSession(m.session)
    const resume = await conn.attach(session, lastSeq)
    return {
      '@type': 'broker.attached',
      session: session.id,
      authorization_state: session.authorizationState ?? null,
      last_seq: session.lastSeq,
      ...(resume === undefined ? {} : { resume })
    }
  },

  'broker.detachSession': async (conn, m) => {
    const session = conn.visibleSession(m.session)
    if (!conn.detach(session)) throw new BrokerError('NOT_ATTACHED', `this connection is not attached to session ${session.id}`)
    return { '@type': 'broker.detached', session: session.id }
  },

  'broker.listSessions': async conn => ({
    '@type': 'broker.sessions',
    sessions: conn.core.registry.list().filter(s => conn.identity.policy.allowsSession(s)).map(s => ({
      session: s.id,
      state: s.state,
      clients: s.memberCount,
      attached: conn.isAttached(s),
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
    // Fields that name sessions name only those in the client's scope (as broker.listSessions does).
    ...conn.core.statusExtras(id => conn.identity.policy.allowsSession(conn.core.registry.get(id) ?? { id }))
  }),

  'broker.uploadFile': async (conn, m) => await uploadFile(conn, m),
  'broker.readFile': async (conn, m) => await readFile(conn, m) as ControlReply
}

/** Names of every control request, for docs and tests. */
export const CONTROL_REQUESTS: readonly string[] = Object.keys(handlers)

export async function handleControl (conn: ControlConnection, incoming: Incoming): Promise<void> {
  const to = incoming.replyTo
  const handler = Object.hasOwn(handlers, incoming.type) ? handlers[incoming.type] : undefined
  if (handler === undefined) {
    throw new BrokerError('UNKNOWN_CONTROL_REQUEST', `${incoming.type} is not a broker request (known: ${CONTROL_REQUESTS.join(', ')})`)
  }
  const reply = await handler(conn, incoming.message, to)
  if (reply !== undefined) conn.sendReply(reply, to)
}

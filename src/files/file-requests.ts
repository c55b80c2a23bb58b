/**
 * broker.uploadFile and broker.readFile: file bytes over the protocol, for
 * clients that may not name the broker's local files (docs/protocol.md,
 * "Files"). Both need the connection attached to the session; both are
 * bounded in size (max_upload_size, max_read_size), uploads also in number
 * per connection (uploads.ts).
 */
import { BrokerError } from '../errors.js'
import type { ClientIdentity } from '../server/pipeline.js'
import type { Session } from '../session/session.js'
import type { Settings } from '../settings/types.js'
import type { TdObject } from '../tdlib/backend.js'
import type { Logger } from '../log/logger.js'
import { uploadHostOf, type UploadStore } from './uploads.js'

/** What the two requests need of a connection (a small interface, so this file does not import it). */
export interface FileRequester {
  readonly identity: ClientIdentity
  /** Whether the connection is attached to the session. */
  isAttached(session: Session): boolean
  readonly id: string
  readonly log: Logger
  readonly core: {
    readonly settings: Settings
    readonly uploads: UploadStore
    execute(ctx: { client: ClientIdentity, session: Session, request: TdObject, log: Logger }): Promise<TdObject>
  }
  visibleSession(id: unknown): Session
}

type Reply = Record<string, unknown> & { '@type': string }

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function attachedSession (conn: FileRequester, id: unknown): Session {
  const session = conn.visibleSession(id)
  if (!conn.isAttached(session)) throw new BrokerError('NOT_ATTACHED', `attach to session ${session.id} first (broker.attachSession)`)
  return session
}

function wholeNumber (value: unknown, field: string, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new BrokerError('INVALID_REQUEST', `${field} must be a whole number of at least ${min}`)
  }
  return value
}

/**
 * broker.uploadFile {session, name, data}: writes the bytes and answers a
 * reference to send them by; with `append_to` (a reference), adds them to
 * that file instead (a large file in parts).
 */
export async function uploadFile (conn: FileRequester, m: Record<string, unknown>): Promise<Reply> {
  const session = attachedSession(conn, m.session)
  const { data } = m
  const name = m.name === undefined ? 'file' : m.name
  if (typeof name !== 'string') throw new BrokerError('INVALID_REQUEST', 'name must be a string (the file name TDLib sends)')
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new BrokerError('INVALID_REQUEST', 'data must be the file\'s bytes in standard base64 (with padding)')
  }
  const limit = conn.core.settings.max_upload_size
  const size = data.length / 4 * 3 - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0)
  if (size > limit) throw new BrokerError('UPLOAD_TOO_LARGE', `the upload is ${size} bytes, more than max_upload_size (${limit})`)
  const bytes = Buffer.from(data, 'base64')
  const { uploads, settings } = conn.core
  if (m.append_to !== undefined && typeof m.append_to !== 'string') throw new BrokerError('INVALID_REQUEST', 'append_to must be the path of a reference broker.uploadFile answered')
  const host = uploadHostOf(session)
  if (host !== undefined) {
    // Written on the node that runs the session, where TDLib reads it.
    const appendTo = m.append_to as string | undefined
    if (appendTo === undefined && bytes.length > settings.max_upload_file_size) {
      throw new BrokerError('UPLOAD_TOO_LARGE', `the upload is ${bytes.length} bytes, more than max_upload_file_size (${settings.max_upload_file_size})`)
    }
    const done = await host.upload({ client: conn.identity.name, connectionId: conn.id, name, data: bytes, ...(appendTo === undefined ? {} : { appendTo }), maxFileSize: settings.max_upload_file_size })
    uploads.remember(done.token, session.id, conn.identity.name)
    return { '@type': 'broker.fileUploaded', session: session.id, file: { '@type': 'inputFileLocal', path: done.token }, size: done.size }
  }
  if (m.append_to !== undefined) {
    if (typeof m.append_to !== 'string') throw new BrokerError('INVALID_REQUEST', 'append_to must be the path of a reference broker.uploadFile answered')
    const total = await uploads.append(m.append_to, session.id, conn.identity.name, conn.id, bytes, settings.max_upload_file_size)
    return { '@type': 'broker.fileUploaded', session: session.id, file: { '@type': 'inputFileLocal', path: m.append_to }, size: total }
  }
  if (bytes.length > settings.max_upload_file_size) {
    throw new BrokerError('UPLOAD_TOO_LARGE', `the upload is ${bytes.length} bytes, more than max_upload_file_size (${settings.max_upload_file_size})`)
  }
  const token = await uploads.save(session, conn.identity.name, conn.id, name, bytes)
  conn.log.info({ session: session.id, size: bytes.length }, 'file uploaded')
  return { '@type': 'broker.fileUploaded', session: session.id, file: { '@type': 'inputFileLocal', path: token }, size: bytes.length }
}

/**
 * broker.readFile {session, file_id, offset, count}: TDLib's readFilePart,
 * run through the pipeline as the client (so its whitelist and scope apply),
 * bounded by max_read_size, answered in base64.
 */
export async function readFile (conn: FileRequester, m: Record<string, unknown>): Promise<Reply | TdObject> {
  const session = attachedSession(conn, m.session)
  const fileId = wholeNumber(m.file_id, 'file_id', 1)
  const offset = wholeNumber(m.offset, 'offset', 0, 0)
  const limit = conn.core.settings.max_read_size
  // Required: TDLib's count 0 ("everything") would be unbounded, and a count past the end is TDLib's error.
  const count = wholeNumber(m.count, 'count', 1)
  if (count > limit) throw new BrokerError('READ_TOO_LARGE', `count is ${count}, more than max_read_size (${limit}); read in parts`)
  const request: TdObject = { '@type': 'readFilePart', file_id: fileId, offset, count }
  const answer = await conn.core.execute({ client: conn.identity, session, request, log: conn.log })
  if (answer['@type'] !== 'data') return answer
  const bytes = typeof answer.data === 'string' ? answer.data : ''
  const size = Buffer.byteLength(bytes, 'base64')
  return { '@type': 'broker.fileData', session: session.id, file_id: fileId, offset, size, data: bytes }
}

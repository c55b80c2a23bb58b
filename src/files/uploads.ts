/**
 * Files clients send over the protocol (broker.uploadFile). The bytes go
 * into a folder of the session that the broker owns
 * (`<session folder>/broker_uploads/<token>/<name>`: a sub-folder, so
 * backups skip it), and the client gets a token in an inputFileLocal shape.
 * The local-files step swaps the token for the real path, for the client
 * and session it was issued to only: a client never learns, nor names, a
 * path of the broker.
 */
import { randomBytes } from 'node:crypto'
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BrokerError } from '../errors.js'

/** How an issued reference starts; the rest is 32 hexadecimal digits. */
export const UPLOAD_PREFIX = 'tdbroker-upload:'

/** Sub-folder of a session folder that holds its uploads. */
export const UPLOAD_FOLDER = 'broker_uploads'

/** Uploads one connection may have being written at once. */
export const MAX_UPLOADS_IN_FLIGHT = 4

/** References kept; past this the oldest is forgotten and its file deleted. */
export const MAX_ISSUED = 1000

interface Issued { sessionId: string, client: string, path: string, folder: string, size: number, appending: boolean }

/** Most UTF-8 bytes of a file name: file systems allow 255, so 200 leaves room. */
export const MAX_NAME_BYTES = 200

/**
 * A file name TDLib can use: no folders, no control characters, no lone
 * surrogates, at most MAX_NAME_BYTES bytes in UTF-8 (cut between
 * characters); "file" when nothing is left.
 */
export function safeFileName (name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.slice(0, MAX_NAME_BYTES).replace(/[\u0000-\u001f\u007f/\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '_')
  // At most MAX_NAME_BYTES code units are left, so this loop is short (a character is at most 4 bytes).
  const chars = [...cleaned]
  while (Buffer.byteLength(chars.join('')) > MAX_NAME_BYTES) chars.pop()
  const cut = chars.join('').trim()
  return cut === '' || cut === '.' || cut === '..' ? 'file' : cut
}

/** A file-system failure as the client may see it: what failed and the code (ENOSPC, ...), never the broker's path. */
function writeFailed (e: unknown): BrokerError {
  const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'unknown'
  return new BrokerError('UPLOAD_FAILED', `the broker could not write the upload (${code})`)
}

/**
 * A session whose folder is on another process's disk (a cluster node's
 * handle of a session): its uploads are written where it runs.
 */
export interface UploadHost {
  upload (req: { client: string, connectionId: string, name: string, data: Buffer, appendTo?: string, maxFileSize: number }): Promise<{ token: string, size: number }>
}

/** The session's UploadHost, if its files are elsewhere. */
export function uploadHostOf (session: object): UploadHost | undefined {
  return typeof (session as Partial<UploadHost>).upload === 'function' ? session as UploadHost : undefined
}

export class UploadStore {
  private readonly issued = new Map<string, Issued>()
  private readonly inFlight = new Map<string, number>()
  /** Deletions of forgotten uploads, so that they can be awaited (tests, shutdown). */
  private removals: Promise<void> = Promise.resolve()

  /**
   * Writes `data` as `name` into the session's upload folder and returns the
   * reference for `client`. At most MAX_UPLOADS_IN_FLIGHT per connection.
   */
  async save (session: { id: string, directory: string }, client: string, connectionId: string, name: string, data: Buffer): Promise<string> {
    return await this.inSlot(connectionId, async () => {
      const hex = randomBytes(16).toString('hex')
      const folder = join(session.directory, UPLOAD_FOLDER, hex)
      const path = join(folder, safeFileName(name))
      try {
        await mkdir(folder, { recursive: true, mode: 0o700 })
        await writeFile(path, data, { mode: 0o600 })
      } catch (e) {
        await rm(folder, { recursive: true, force: true }).catch(() => {})
        throw writeFailed(e)
      }
      const token = UPLOAD_PREFIX + hex
      this.issued.set(token, { sessionId: session.id, client, path, folder, size: data.length, appending: false })
      if (this.issued.size > MAX_ISSUED) this.forgetOldest()
      return token
    })
  }

  /**
   * Appends `data` to the file behind `token` (a large file sent in parts)
   * and returns its new size, which may not pass `maxSize`. Parts of one
   * file go one after another, never at once.
   */
  async append (token: string, sessionId: string, client: string, connectionId: string, data: Buffer, maxSize: number): Promise<number> {
    const entry = this.issued.get(token)
    if (entry === undefined || entry.sessionId !== sessionId || entry.client !== client) {
      throw new BrokerError('INVALID_REQUEST', `append_to is not a reference broker.uploadFile issued to client ${client} in session ${sessionId}`)
    }
    if (entry.appending) throw new BrokerError('INVALID_REQUEST', 'a part is already being appended to this reference; send the parts one after another')
    if (entry.size + data.length > maxSize) {
      throw new BrokerError('UPLOAD_TOO_LARGE', `the file would grow to ${entry.size + data.length} bytes, more than max_upload_file_size (${maxSize})`)
    }
    return await this.inSlot(connectionId, async () => {
      entry.appending = true
      try {
        await appendFile(entry.path, data).catch(e => { throw writeFailed(e) })
        entry.size += data.length
        return entry.size
      } finally {
        entry.appending = false
      }
    })
  }

  /** Runs `work` in one of the connection's MAX_UPLOADS_IN_FLIGHT slots. */
  private async inSlot<T> (connectionId: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(connectionId) ?? 0
    if (running >= MAX_UPLOADS_IN_FLIGHT) {
      throw new BrokerError('TOO_MANY_UPLOADS', `this connection already has ${running} uploads being written; wait for their answers`)
    }
    this.inFlight.set(connectionId, running + 1)
    try {
      return await work()
    } finally {
      const left = (this.inFlight.get(connectionId) ?? 1) - 1
      if (left === 0) this.inFlight.delete(connectionId)
      else this.inFlight.set(connectionId, left)
    }
  }

  /**
   * Records a reference another node issued (a cluster session run there):
   * the local-files step leaves it as it is for this client and session,
   * and the node that runs the session swaps it for its file (pathFor).
   */
  remember (token: string, sessionId: string, client: string): void {
    if (this.issued.has(token)) return
    this.issued.set(token, { sessionId, client, path: token, folder: '', size: 0, appending: false })
    if (this.issued.size > MAX_ISSUED) this.forgetOldest()
  }

  /** The path behind a reference issued here for this session, whoever it was issued to (the node that forwarded the request checked that). */
  pathFor (token: string, sessionId: string): string | undefined {
    const entry = this.issued.get(token)
    return entry === undefined || entry.sessionId !== sessionId || entry.folder === '' ? undefined : entry.path
  }

  /** The path behind a reference, if it was issued to this client for this session. */
  pathOf (token: string, sessionId: string, client: string): string | undefined {
    const entry = this.issued.get(token)
    if (entry === undefined || entry.sessionId !== sessionId || entry.client !== client) return undefined
    return entry.path
  }

  private forgetOldest (): void {
    const [token, entry] = this.issued.entries().next().value as [string, Issued]
    this.issued.delete(token)
    if (entry.folder === '') return
    const removal = rm(entry.folder, { recursive: true, force: true }).catch(() => {})
    this.removals = this.removals.then(async () => { await removal })
  }

  /**
   * Forgets a reference and deletes its file, for a caller that knows the
   * file is no longer needed (the Bot API gateway, once TDLib confirmed the
   * message it was sent in). An unknown reference is nothing to do.
   */
  async release (token: string): Promise<void> {
    const entry = this.issued.get(token)
    if (entry === undefined) return
    this.issued.delete(token)
    // A reference remembered for another node's file (folder ''): that node deletes it when it forgets it.
    if (entry.folder !== '') await rm(entry.folder, { recursive: true, force: true }).catch(() => {})
  }

  /** Resolves once every forgotten upload's file is deleted. */
  async settled (): Promise<void> { await this.removals }
}

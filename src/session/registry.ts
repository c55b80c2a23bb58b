/**
 * All sessions of this broker, keyed by id, each backed by one folder under
 * tdlib.path. The registry is the only place a Session is created, so one
 * folder is never opened twice in this process; a lock file keeps a second
 * broker process away from the same folder.
 */
import { access, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import type { TdBackend } from '../tdlib/backend.js'
import { BrokerError } from '../errors.js'
import { Session } from './session.js'
import { isSessionId, newSessionId } from './session-id.js'
import { acquireLock, type Lock } from './lock.js'
import { readMeta, writeMeta, type BackendKind, type SessionMeta } from './meta.js'
import { readIndex, type SavedIndex } from '../resume/index-file.js'
import { MARKER_FILE as SANDBOX_MARKER_FILE } from '../tdlib/sandbox/persist.js'

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>()
  /** Ids being created (folder and meta file not written yet). */
  private readonly reserved = new Set<string>()
  /** Folders of the other backend (sandbox or real TDLib), left alone; their ids are never reused. */
  private readonly foreign = new Set<string>()
  private lock: Lock | undefined

  constructor (private readonly settings: Settings, private readonly backend: TdBackend, private readonly log: Logger) {}

  /** Locks tdlib.path and learns the session folders already there (they are not started). */
  async open (): Promise<void> {
    const root = this.settings.tdlib.path
    await mkdir(root, { recursive: true })
    this.lock = await acquireLock(root)
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      if (!isSessionId(entry.name)) {
        this.log.warn({ folder: join(root, entry.name) }, 'folder in tdlib.path is not a session id; ignored')
        continue
      }
      const { meta, problem } = await readMeta(join(root, entry.name))
      const kind = meta.backend ?? await guessBackend(join(root, entry.name))
      if (kind !== undefined && kind !== this.backend.kind) {
        this.foreign.add(entry.name)
        this.log.warn({ session: entry.name, folder: join(root, entry.name), folder_backend: kind, backend: this.backend.kind },
          `session folder holds a ${kind} session and this broker runs the ${this.backend.kind} backend: ignored (give each backend its own tdlib.path)`)
        continue
      }
      if (problem !== undefined) this.log.warn({ session: entry.name, problem }, 'session meta file unusable: its creator is forgotten and its sequence numbers jump ahead')
      this.add(entry.name, meta, await readIndex(join(root, entry.name)))
    }
    this.log.info({ path: root, sessions: this.sessions.size, ...(this.foreign.size === 0 ? {} : { ignored: this.foreign.size }) }, 'session folders found')
  }

  /**
   * A new session with a fresh id and folder (not started). `creator` is the
   * name of the client creating it, kept in the folder for scopes with
   * sessions: "own".
   */
  async create (creator?: string): Promise<Session> {
    let id = newSessionId()
    while (this.sessions.has(id) || this.reserved.has(id) || this.foreign.has(id)) id = newSessionId()
    const meta: SessionMeta = { ...(creator === undefined ? {} : { creator }), seq_reserved: 0, backend: this.backend.kind }
    const directory = join(this.settings.tdlib.path, id)
    // Reserve the id at once (another create may run while this one writes), and publish the session only once its folder exists.
    this.reserved.add(id)
    try {
      await mkdir(directory, { recursive: true })
      await writeMeta(directory, meta)
    } finally {
      this.reserved.delete(id)
    }
    const session = this.add(id, meta)
    this.log.info({ session: id, ...(creator === undefined ? {} : { creator }) }, 'session created')
    return session
  }

  /** The session for a client-supplied id; throws the protocol error a client should see. */
  resolve (id: unknown): Session {
    if (!isSessionId(id)) throw new BrokerError('INVALID_SESSION_ID', `${JSON.stringify(id)} is not a session id (a string of decimal digits)`)
    const session = this.sessions.get(id)
    if (session === undefined) throw new BrokerError('UNKNOWN_SESSION', `no session ${id}`)
    return session
  }

  get (id: string): Session | undefined { return this.sessions.get(id) }
  /**
   * The session of a folder that appeared after open (a cluster node took
   * the session over and restored its backup there): read its meta file and
   * keep it. Returns the one already known when there is one.
   */
  async adopt (id: string): Promise<Session> {
    const known = this.sessions.get(id)
    if (known !== undefined) return known
    if (!isSessionId(id)) throw new BrokerError('INVALID_SESSION_ID', `${JSON.stringify(id)} is not a session id`)
    const directory = join(this.settings.tdlib.path, id)
    const { meta } = await readMeta(directory)
    return this.add(id, meta, await readIndex(directory))
  }

  /** Stops a session and forgets it (a cluster node gave it to another node); its folder stays. */
  async drop (id: string, reason: string): Promise<void> {
    const session = this.sessions.get(id)
    if (session === undefined) return
    await session.stop(reason)
    await session.flushSequence()
    if (this.sessions.get(id) === session) this.sessions.delete(id)
  }

  list (): Session[] { return [...this.sessions.values()] }
  get runningCount (): number { return this.list().filter(s => s.state !== 'stopped').length }

  /** Stops every session cleanly, records where each sequence ended, and releases the folder lock. */
  async close (reason: string): Promise<void> {
    await Promise.all(this.list().map(async s => { await s.stop(reason) }))
    await Promise.all(this.list().map(async s => { await s.flushSequence() }))
    await this.lock?.release()
    this.lock = undefined
  }

  private add (id: string, meta: SessionMeta, savedIndex?: SavedIndex): Session {
    const session = new Session(id, join(this.settings.tdlib.path, id), { settings: this.settings, backend: this.backend, log: this.log }, meta, savedIndex)
    this.sessions.set(id, session)
    return session
  }
}

/**
 * The backend of a folder from before the meta file recorded it: the
 * sandbox's login marker, or TDLib's binlog; undefined when neither is there
 * (a session that never got that far, which either backend may take).
 */
async function guessBackend (directory: string): Promise<BackendKind | undefined> {
  if (await exists(join(directory, SANDBOX_MARKER_FILE))) return 'sandbox'
  if (await exists(join(directory, 'td.binlog'))) return 'tdlib'
  return undefined
}

async function exists (file: string): Promise<boolean> {
  return await access(file).then(() => true, () => false)
}

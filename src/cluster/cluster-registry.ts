/**
 * The registry of a cluster node (settings with `cluster`): every session
 * of the cluster, as ClusterSession handles, in place of this process's
 * folders. The folders this node runs are kept by an ordinary
 * SessionRegistry (the engine), which the node's owner part drives. NATS is
 * loaded only when open() runs, so a broker without `cluster` never loads it.
 */
import { BrokerError } from '../errors.js'
import { UploadStore } from '../files/uploads.js'
import type { Logger } from '../log/logger.js'
import { SessionRegistry } from '../session/registry.js'
import { isSessionId } from '../session/session-id.js'
import type { Session } from '../session/session.js'
import type { Settings } from '../settings/types.js'
import { watchBackend } from '../store/session-watch.js'
import type { TdBackend } from '../tdlib/backend.js'
import { ClusterBackups } from './backups.js'
import { ClusterSession } from './cluster-session.js'
import type { ClusterNode, SessionFacts } from './node.js'

export class ClusterRegistry extends SessionRegistry {
  private readonly engine: SessionRegistry
  private readonly backups: ClusterBackups
  private readonly handles = new Map<string, ClusterSession>()
  private nodeValue: ClusterNode | undefined

  /** @param uploads the broker's uploads (broker.uploadFile): the node writes those of the sessions it runs */
  constructor (private readonly clusterSettings: Settings, private readonly clusterBackend: TdBackend, private readonly clusterLog: Logger, private readonly uploads: UploadStore = new UploadStore()) {
    super(clusterSettings, clusterBackend, clusterLog)
    const log = clusterLog.child({ component: 'cluster' })
    this.backups = new ClusterBackups(clusterSettings, log)
    // The engine's sessions report logins and clean stops to the backups.
    this.engine = new SessionRegistry(clusterSettings, watchBackend(clusterBackend, this.backups), log)
  }

  get node (): ClusterNode {
    if (this.nodeValue === undefined) throw new Error('the cluster node is not open yet')
    return this.nodeValue
  }

  override async open (): Promise<void> {
    await this.engine.open()
    try {
      const { ClusterNode } = await import('./node.js')
      const node = await ClusterNode.open(this.clusterSettings, this.engine, this.backups, this.uploads, this.clusterLog.child({ component: 'cluster' }))
      this.nodeValue = node
      node.onSession = (id, facts) => { this.handle(id, facts) }
      for (const id of node.sessionIds()) this.handle(id, node.facts(id) ?? {})
    } catch (e) {
      await this.engine.close('cluster start failed').catch(() => {})
      throw e
    }
  }

  override async create (creator?: string): Promise<Session> {
    const id = await this.node.create(creator)
    return this.handle(id, { ...(creator === undefined ? {} : { creator }) })
  }

  override resolve (id: unknown): Session {
    if (!isSessionId(id)) throw new BrokerError('INVALID_SESSION_ID', `${JSON.stringify(id)} is not a session id (a string of decimal digits)`)
    const session = this.handles.get(id)
    if (session === undefined) throw new BrokerError('UNKNOWN_SESSION', `no session ${id}`)
    return session
  }

  override get (id: string): Session | undefined { return this.handles.get(id) }
  override list (): Session[] { return [...this.handles.values()] }
  override get runningCount (): number { return this.list().filter(s => s.state !== 'stopped').length }

  override async adopt (id: string): Promise<Session> { return this.resolve(id) }
  override async drop (): Promise<void> {}

  /** For broker.getStatus: the nodes, their sessions and the leases (of the sessions `visible` accepts). */
  status (visible: (session: string) => boolean): Record<string, unknown> { return this.nodeValue?.status(visible) ?? {} }

  override async close (reason: string): Promise<void> {
    for (const handle of this.handles.values()) await handle.stop(reason)
    await this.nodeValue?.close(reason)
    this.backups.close()
    await this.engine.close(reason)
  }

  private handle (id: string, facts: SessionFacts): ClusterSession {
    let handle = this.handles.get(id)
    if (handle === undefined) {
      handle = new ClusterSession(this.node, id, { settings: this.clusterSettings, backend: this.clusterBackend, log: this.clusterLog }, facts.creator)
      this.handles.set(id, handle)
    }
    return handle
  }
}

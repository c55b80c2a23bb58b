/**
 * A session as the connections of a cluster node see it, wherever it runs:
 * the same interface as Session (so connections, control requests and the
 * request pipeline are unchanged), answered by the node. Attaching joins
 * the node's view of the session's update stream; a TDLib request goes to
 * whichever node holds the session's lease.
 */
import { Session, type ResumeResult, type SessionContext, type SessionMember, type SessionState } from '../session/session.js'
import type { TdObject } from '../tdlib/backend.js'
import type { UploadHost } from '../files/uploads.js'
import type { ClusterNode } from './node.js'

export class ClusterSession extends Session implements UploadHost {
  constructor (private readonly node: ClusterNode, id: string, ctx: SessionContext, creator: string | undefined) {
    // No folder of its own: the owner's engine session has the folder.
    super(id, '', ctx, { seq_reserved: 0, ...(creator === undefined ? {} : { creator }) })
  }

  /** running while a node holds a live lease on it; stopped otherwise. */
  override get state (): SessionState { return this.node.leaseHolder(this.id) === undefined ? 'stopped' : 'running' }
  override get startingSince (): number | undefined { return undefined }
  /** Connections of this node attached to it. */
  override get memberCount (): number { return this.node.memberCount(this.id) }
  override get lastSeq (): number { return this.node.lastSeq(this.id) }
  override get authorizationState (): string | undefined { return this.node.authorizationState(this.id) }
  /** The node that runs it now, if any. */
  get owner (): string | undefined { return this.node.leaseHolder(this.id) }

  override hasMember (member: SessionMember): boolean { return this.node.hasMember(this.id, member) }
  override async attach (member: SessionMember, lastSeq?: number): Promise<ResumeResult | undefined> { return await this.node.attach(this.id, member, lastSeq) }
  override detach (member: SessionMember): boolean { return this.node.detach(this.id, member) }
  /** broker.uploadFile: written on the node that runs the session. */
  async upload (req: Parameters<UploadHost['upload']>[0]): Promise<{ token: string, size: number }> { return await this.node.upload(this.id, req) }
  override async invoke (request: TdObject): Promise<TdObject> { return await this.node.invoke(this.id, request) }
  /** The broker is stopping: this node's clients of the session are told it ended for them. */
  override async stop (reason: string): Promise<void> { this.node.endView(this.id, reason) }
  override async flushSequence (): Promise<void> {}
}

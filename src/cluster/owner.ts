/**
 * The sessions this node runs, each held by a lease: a key in the leases
 * bucket, created only if absent (so two nodes racing for one session get
 * one lease) and renewed every heartbeat by compare-and-set on its revision.
 * The bucket's max_age is the TTL, so a lease nobody renews disappears
 * lease_ttl after its last write.
 *
 * Fencing: a renewal counts from the moment it was sent. When the last one
 * that succeeded was sent more than lease_ttl - 2 * heartbeat ago (NATS
 * unreachable, a partition), the node closes the session itself, while the
 * lease is still there, so no other node can have opened it yet. A renewal
 * refused for its revision means the lease is gone: the session is closed
 * at once.
 *
 * Each owned session has one member of its own: the publisher,
 * which sends its updates, in order and one message at a time (a batch when
 * they come fast), to the session's subject in the update stream (message
 * id session-firstseq, so a retry after a lost acknowledgement is dropped
 * by the stream). Every publish expects the subject's last stream sequence
 * to be the one this owner saw last (JetStream's Nats-Expected-Last-Subject-
 * Sequence): a new owner first publishes an "owner" marker that way, so a
 * message of an earlier owner still on its way (queued in a connection
 * across a partition) is refused by the server once the new owner has
 * claimed the subject, and the earlier owner, refused, stops the session.
 */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { readMeta, writeMeta } from '../session/meta.js'
import type { Session, SessionMember } from '../session/session.js'
import type { SessionRegistry } from '../session/registry.js'
import type { OutgoingUpdate } from '../session/outgoing.js'
import type { Logger } from '../log/logger.js'
import { BrokerError } from '../errors.js'
import { headers } from '@nats-io/transport-node'
import type { ClusterBackups } from './backups.js'
import type { CatalogueEntry, ClusterLink, LeaseValue } from './link.js'
import type { ClusterSettings } from './settings.js'
import { lastInStream } from './view.js'
import { BATCH_BYTES, BATCH_UPDATES, EVENT_HEADER, OWNER_HEADER, SEQ_HEADER, encodeUpdates } from './update-message.js'

/** Updates waiting to be published for one session before the oldest are dropped (and logged). */
const MAX_UNPUBLISHED = 100_000

interface Owned {
  readonly id: string
  revision: number
  /** When the last renewal that succeeded was sent (Date.now()). */
  lastRenewed: number
  renewing: boolean
  session?: Session
  publisher: Publisher
  /** Node -> when it last said it has clients attached. */
  readonly interest: Map<string, number>
  /** Since when nobody is interested (Date.now()), undefined while someone is. */
  idleSince?: number
  ready: Promise<void>
  /** Set once the session is being given up (fenced, released, ended). */
  leaving: boolean
  /** Set when it is given up without its lease (fenced): no backup may be written any more. */
  fenced: boolean
}

export class Owner {
  private readonly owned = new Map<string, Owned>()

  constructor (
    private readonly cluster: ClusterSettings,
    private readonly link: ClusterLink,
    private readonly engine: SessionRegistry,
    /** tdlib.path: the folder of the engine's session folders. */
    private readonly root: string,
    private readonly backups: ClusterBackups,
    private readonly terminateDelayMs: number,
    private readonly log: Logger,
    /** Reads the catalogue entry of a session. */
    private readonly entry: (id: string) => Promise<CatalogueEntry | undefined>
  ) {}

  get count (): number { return this.owned.size }
  /** Whether this node may write the session's backup (it holds the lease, or is letting it go cleanly). */
  mayBackUp (id: string): boolean { const o = this.owned.get(id); return o !== undefined && !o.fenced }
  ids (): string[] { return [...this.owned.keys()] }
  has (id: string): boolean { return this.owned.has(id) && this.owned.get(id)?.leaving === false }

  /** The running engine session of an owned session (after its start). */
  async session (id: string): Promise<Session> {
    const o = this.owned.get(id)
    if (o === undefined || o.leaving) throw new BrokerError('SESSION_CLOSED', `session ${id} is not run by node ${this.cluster.node}`)
    await o.ready
    if (o.session === undefined) throw new BrokerError('SESSION_CLOSED', `session ${id} is not running`)
    return o.session
  }

  /** Notes that `node` has clients attached to `id` (keeps the session from its terminate_delay stop). */
  interested (id: string, node: string): void {
    const o = this.owned.get(id)
    if (o === undefined) return
    o.interest.set(node, Date.now())
    o.idleSince = undefined
  }

  /**
   * Takes the lease of `id` and starts the session here: its folder is this
   * node's own when this node ran it last, else restored from the backup;
   * its sequence goes on after the last update in the stream. Throws
   * LeaseTaken when another node holds the lease.
   */
  async own (id: string, from: string): Promise<void> {
    const known = this.owned.get(id)
    if (known !== undefined && !known.leaving) {
      this.interested(id, from)
      await known.ready
      return
    }
    const sent = Date.now()
    const revision = await this.takeLease(id)
    const o: Owned = { id, revision, lastRenewed: sent, renewing: false, publisher: new Publisher(id, this.link, this.log), interest: new Map([[from, Date.now()]]), ready: Promise.resolve(), leaving: false, fenced: false }
    this.owned.set(id, o)
    o.publisher.onEnded = reason => { void this.ended(o, reason) }
    o.publisher.onStale = () => { void this.giveUp(o, 'another node published to its update stream since (it runs the session now)', false) }
    o.ready = this.startOwned(o)
    try {
      await o.ready
    } catch (e) {
      o.leaving = true
      if (this.owned.get(id) === o) this.owned.delete(id)
      await this.engine.drop(id, 'start failed').catch(() => {})
      await this.link.leases.delete(id, { previousSeq: o.revision }).catch(() => {})
      throw e
    }
  }

  private async takeLease (id: string): Promise<number> {
    const value = JSON.stringify({ node: this.cluster.node, since: Date.now() } satisfies LeaseValue)
    try {
      return await this.link.leases.create(id, value)
    } catch (e) {
      const current = await this.link.leases.get(id)
      if (current !== null && current.operation === 'PUT') {
        const lease = current.json<LeaseValue>()
        // This node's own lease from before (a restart, or a session it fenced): it is not running it, so it may renew it.
        if (lease.node === this.cluster.node) return await this.link.leases.update(id, value, current.revision)
        throw new LeaseTaken(lease.node)
      }
      throw e
    }
  }

  private async startOwned (o: Owned): Promise<void> {
    const { id } = o
    const entry = await this.entry(id)
    const stale = this.engine.get(id)
    if (stale !== undefined) await this.engine.drop(id, 'taken over again')
    const directory = join(this.root, id)
    if (entry?.last_owner !== this.cluster.node || !(await exists(directory))) {
      await this.backups.restore(id, directory)
    }
    // The numbers go on after the last one published, whoever published it.
    const seq = await o.publisher.claim(`${o.revision} ${this.cluster.node}`, this.cluster.request_timeout * 1000)
    const { meta } = await readMeta(directory)
    await writeMeta(directory, { ...meta, ...(entry?.creator === undefined ? {} : { creator: entry.creator }), seq_reserved: Math.max(meta.seq_reserved, seq) })
    const session = await this.engine.adopt(id)
    o.session = session
    if (o.leaving) throw new BrokerError('SESSION_START_FAILED', `session ${id}: its lease was lost while it started`)
    await session.attach(o.publisher)
    const record: CatalogueEntry = { ...(entry ?? { created: Date.now() }), last_owner: this.cluster.node }
    await this.link.catalogue.put(id, JSON.stringify(record))
    this.log.info({ session: id, node: this.cluster.node }, 'session owned')
  }

  /** Renews every lease (one at a time per session), closes what cannot be renewed in time, stops what nobody wants. */
  tick (): void {
    const now = Date.now()
    const fenceMs = (this.cluster.lease_ttl - 2 * this.cluster.heartbeat) * 1000
    const interestMs = 3 * this.cluster.heartbeat * 1000
    for (const o of this.owned.values()) {
      if (o.leaving) continue
      if (now - o.lastRenewed > fenceMs) {
        this.log.error({ session: o.id, since_renewal_ms: now - o.lastRenewed }, 'lease not renewed in time: closing the session before it can expire')
        void this.giveUp(o, 'its lease could not be renewed', false)
        continue
      }
      if (!o.renewing) void this.renew(o)
      for (const [node, at] of o.interest) if (now - at > interestMs) o.interest.delete(node)
      if (o.interest.size === 0) {
        o.idleSince ??= now
        if (now - o.idleSince >= this.terminateDelayMs) void this.giveUp(o, 'no client attached on any node for terminate_delay', true)
      }
    }
  }

  private async renew (o: Owned): Promise<void> {
    o.renewing = true
    const sent = Date.now()
    try {
      const value = JSON.stringify({ node: this.cluster.node, since: sent } satisfies LeaseValue)
      o.revision = await this.link.leases.update(o.id, value, o.revision, Math.max(100, (this.cluster.lease_ttl - 2 * this.cluster.heartbeat) * 1000))
      o.lastRenewed = sent
    } catch (e) {
      const message = (e as Error).message
      if (/wrong last sequence/i.test(message) && !o.leaving) {
        this.log.error({ session: o.id }, 'lease lost (renewal refused): closing the session')
        await this.giveUp(o, 'its lease was lost', false)
      } else {
        this.log.warn({ session: o.id, err: message }, 'lease renewal failed')
      }
    } finally {
      o.renewing = false
    }
  }

  /** Closes an owned session cleanly (a full backup first), then lets the lease go (`release`) or leaves it to expire. */
  async giveUp (o: Owned, reason: string, release: boolean): Promise<void> {
    if (o.leaving) return
    o.leaving = true
    if (!release) o.fenced = true
    await o.ready.catch(() => {})
    await this.engine.drop(o.id, reason).catch(e => { this.log.error({ session: o.id, err: (e as Error).message }, 'session stop failed') })
    // What is still unpublished goes out before the lease is let go; a fenced session's is dropped (another node may publish soon).
    if (release) await o.publisher.flushed(this.cluster.request_timeout * 1000)
    else o.publisher.abandon()
    if (this.owned.get(o.id) === o) this.owned.delete(o.id)
    if (release) await this.link.leases.delete(o.id, { previousSeq: o.revision }).catch(e => { this.log.warn({ session: o.id, err: (e as Error).message }, 'lease release failed; it expires by itself') })
    this.log.info({ session: o.id, reason, released: release }, 'session given up')
  }

  /** Gives up one owned session cleanly (drain); resolves once its lease is free. */
  async release (id: string, reason: string): Promise<void> {
    const o = this.owned.get(id)
    if (o !== undefined) await this.giveUp(o, reason, true)
  }

  /** TDLib closed the session itself (logOut, destroy): views are told, and the lease goes. */
  private async ended (o: Owned, reason: string): Promise<void> {
    if (o.leaving) return
    await o.publisher.event('closed', reason)
    await this.giveUp(o, reason, true)
  }

  async close (reason: string): Promise<void> {
    await Promise.all([...this.owned.values()].map(async o => { await this.giveUp(o, reason, true) }))
  }
}

export class LeaseTaken extends Error {
  constructor (readonly node: string) { super(`the lease is held by node ${node}`) }
}

/** JetStream's refusal of a publish whose expected last subject sequence is not the subject's. */
function wrongLastSequence (e: unknown): boolean {
  return (e as { code?: unknown }).code === 10071 || /wrong last sequence/i.test((e as Error).message)
}

/** The owned session's one member: publishes its updates to the stream, in order, batched when they come fast (update-message.ts). Exported for its test. */
export class Publisher implements SessionMember {
  readonly id: string
  /** Updates at or below this number were published by an earlier owner. */
  floor = 0
  onEnded: ((reason: string) => void) | undefined
  /** Another node published on the subject since this one claimed it: this one is no longer the owner. */
  onStale: (() => void) | undefined
  /** The stream sequence of the subject's last message as this owner knows it: every publish expects it. */
  private streamSeq = 0
  /** OWNER_HEADER of this owner's messages; its lease revision. */
  private owner = ''
  private revision = 0
  private readonly queue: OutgoingUpdate[] = []
  /** The message being published: the first `count` of the queue; kept as it is until acknowledged, so a retry is dropped by its id. */
  private batch: { count: number, body: string, headers: Record<string, string>, msgID: string } | undefined
  private lastPublished = 0
  private pumping: Promise<void> | undefined
  private warned = false
  private abandoned = false

  constructor (private readonly sessionId: string, private readonly link: ClusterLink, private readonly log: Logger) {
    this.id = `cluster-publisher-${sessionId}`
  }

  deliver (update: OutgoingUpdate): boolean {
    if (this.abandoned) return false
    if (this.queue.length >= MAX_UNPUBLISHED) {
      // The oldest not in the message being published.
      this.queue.splice(this.batch?.count ?? 0, 1)
      if (!this.warned) this.log.error({ session: this.sessionId }, 'update stream unreachable for too long: oldest unpublished updates dropped')
      this.warned = true
    }
    this.queue.push(update)
    this.pumping ??= this.pump().finally(() => { this.pumping = undefined })
    return true
  }

  accepts (): boolean { return true }
  updatesLost (): void {}
  sessionEnded (_id: string, reason: string): void { this.onEnded?.(reason) }

  /** Resolves once everything queued is published, or after timeoutMs. */
  async flushed (timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.pumping, new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    if (this.queue.length > 0) {
      this.log.error({ session: this.sessionId, unpublished: this.queue.length }, 'updates could not be published before the session was given up')
      this.abandon()
    }
  }

  /** Publishes nothing more. */
  abandon (): void {
    this.abandoned = true
    this.queue.length = 0
    this.batch = undefined
  }

  /**
   * Claims the subject for this owner before the session starts: publishes
   * an "owner" marker expecting the subject's last message to be the one
   * just read (read again when another landed in between), and answers that
   * message's @seq, above which this owner numbers. From the marker on, a
   * publish of an earlier owner is refused.
   */
  async claim (owner: string, timeoutMs: number): Promise<number> {
    this.owner = owner
    this.revision = Number(owner.split(' ')[0])
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const last = await lastInStream(this.link, this.sessionId)
      try {
        const ack = await this.link.js.publish(this.link.updates(this.sessionId), owner, { headers: this.eventHeaders('owner', last.seq), expect: { lastSubjectSequence: last.streamSeq } })
        this.streamSeq = ack.seq
        this.floor = last.seq
        return last.seq
      } catch (e) {
        if (!wrongLastSequence(e) || Date.now() > deadline) throw e
      }
    }
  }

  async event (kind: string, text: string): Promise<void> {
    await this.flushed(5000)
    // The last number stays readable at the subject's end (a next owner numbers above it).
    const ack = await this.link.js.publish(this.link.updates(this.sessionId), text, { headers: this.eventHeaders(kind, Math.max(this.lastPublished, this.floor)), expect: { lastSubjectSequence: this.streamSeq } }).catch(() => undefined)
    if (ack !== undefined) this.streamSeq = ack.seq
  }

  private eventHeaders (kind: string, seq: number): ReturnType<typeof headers> {
    const h = headers()
    h.set(EVENT_HEADER, kind)
    h.set(SEQ_HEADER, String(seq))
    h.set(OWNER_HEADER, this.owner)
    return h
  }

  private published (batch: NonNullable<Publisher['batch']>, streamSeq: number): void {
    this.streamSeq = streamSeq
    if (this.batch !== batch) return // abandoned meanwhile
    this.lastPublished = Number(batch.headers[SEQ_HEADER])
    this.queue.splice(0, batch.count)
    this.batch = undefined
    this.warned = false
  }

  /**
   * After a refusal for the expected last sequence: the subject's last
   * message is this batch (its acknowledgement was lost and the retry was
   * refused), or a newer owner's (a higher lease revision in OWNER_HEADER):
   * this one is no longer the owner, publishes nothing more and stops the
   * session; or the subject aged out empty, or something other than an
   * owner wrote on it: that is expected from now on.
   */
  private async refused (batch: NonNullable<Publisher['batch']>): Promise<void> {
    let last
    try {
      last = await lastInStream(this.link, this.sessionId)
    } catch (e) {
      this.log.warn({ session: this.sessionId, err: (e as Error).message }, 'updates refused by the stream, and its last message not readable; retrying')
      await new Promise(resolve => setTimeout(resolve, 250))
      return
    }
    if (last.msgId === batch.msgID) this.published(batch, last.streamSeq)
    else if (last.ownerRevision > this.revision) {
      this.log.error({ session: this.sessionId, expected: this.streamSeq, last: last.streamSeq, unpublished: this.queue.length }, 'update stream refused a publish: a newer owner published since this one took the session; stopping it here')
      this.abandon()
      this.onStale?.()
    } else {
      // Aged out (0), or something that is no newer owner wrote on the subject (it is logged and skipped by the views): expected from now on.
      this.streamSeq = last.streamSeq
    }
  }

  /** The next message: as many queued updates as fit in BATCH_UPDATES and about BATCH_BYTES. */
  private nextBatch (): NonNullable<Publisher['batch']> {
    const items: Array<{ seq: number, json: string }> = []
    let bytes = 0
    for (const u of this.queue) {
      if (items.length >= BATCH_UPDATES) break
      const json = JSON.stringify(u.update)
      if (items.length > 0 && bytes + json.length > BATCH_BYTES) break
      items.push({ seq: u.seq, json })
      bytes += json.length + 16
    }
    return { count: items.length, ...encodeUpdates(items), msgID: `${this.sessionId}-${(items[0] as { seq: number }).seq}` }
  }

  private async pump (): Promise<void> {
    while (this.queue.length > 0 && !this.abandoned) {
      const batch = this.batch ??= this.nextBatch()
      const h = headers()
      for (const [k, v] of Object.entries(batch.headers)) h.set(k, v)
      h.set(OWNER_HEADER, this.owner)
      try {
        const ack = await this.link.js.publish(this.link.updates(this.sessionId), batch.body, { msgID: batch.msgID, headers: h, expect: { lastSubjectSequence: this.streamSeq } })
        this.published(batch, ack.seq)
      } catch (e) {
        if (wrongLastSequence(e)) {
          await this.refused(batch)
          continue
        }
        this.log.warn({ session: this.sessionId, msg_id: batch.msgID, err: (e as Error).message }, 'updates not published yet; retrying')
        await new Promise(resolve => setTimeout(resolve, 250))
      }
    }
  }
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

/**
 * One broker node of a cluster (docs/cluster.md). It knows every session
 * (the catalogue bucket, watched), who runs each one (the leases bucket,
 * watched) and which nodes are alive (the nodes bucket, a heartbeat each);
 * runs the sessions it holds leases for (owner.ts); keeps an update view
 * (view.ts) of each session its own clients are attached to; forwards TDLib
 * requests for sessions run elsewhere to their owner over NATS
 * request/reply; and answers other nodes' requests on its own subject.
 *
 * Failover is driven by interest: every heartbeat, a node with clients
 * attached to a session whose lease has expired asks for the session to be
 * started again (on the node that ran it last if alive, else the least
 * loaded one), and tells each owner which of its sessions it still needs.
 */
import { headers, type Msg, type Subscription } from '@nats-io/transport-node'
import type { KV } from '@nats-io/kv'
import { BrokerError, type BrokerErrorName } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { SessionRegistry } from '../session/registry.js'
import type { ResumeResult, SessionMember } from '../session/session.js'
import type { Settings } from '../settings/types.js'
import type { TdObject } from '../tdlib/backend.js'
import type { ClusterBackups } from './backups.js'
import { UPLOAD_PREFIX, type UploadHost, type UploadStore } from '../files/uploads.js'
import { findLocalPaths } from '../policy/local-files.js'
import { openLink, type CatalogueEntry, type ClusterLink, type LeaseValue, type NodeValue } from './link.js'
import { LeaseTaken, Owner } from './owner.js'
import type { ClusterSettings } from './settings.js'
import { UpdateView } from './view.js'
import { NoResponders, Requester } from './requests.js'

/** What a node asks another (the `op` of a request on its subject). */
type Request =
  | { op: 'create', creator?: string }
  | { op: 'open', session: string, from: string }
  | { op: 'invoke', session: string, request: TdObject }
  | { op: 'interest', sessions: string[], from: string }
  | { op: 'drain' }

/** An upload sent to the node that runs its session: this in header UPLOAD_HEADER, the bytes as the body (base64 in JSON would pass NATS's max_payload). */
interface UploadRequest { session: string, client: string, connectionId: string, name: string, appendTo?: string, maxFileSize: number, from: string }
const UPLOAD_HEADER = 'Tdb-Upload'
type UploadArgs = Parameters<UploadHost['upload']>[0]

type Reply = { ok: true, value?: unknown } | { ok: false, error: string, message: string, redirect?: string }

interface Seen<T> { value: T, at: number }

export interface SessionFacts { creator?: string }

export class ClusterNode {
  private readonly catalogue = new Map<string, CatalogueEntry>()
  private readonly leases = new Map<string, Seen<LeaseValue>>()
  private readonly nodes = new Map<string, Seen<NodeValue>>()
  private readonly views = new Map<string, Promise<UpdateView>>()
  private readonly opening = new Map<string, Promise<void>>()
  private readonly owner: Owner
  private readonly requests: Requester
  /** The views whose consumer has started. */
  private readonly settled = new Map<string, UpdateView>()
  /** Since when a settled view has had no member (Date.now()). */
  private readonly unwatched = new Map<string, number>()
  /** Attaches under way per session (a view they wait for is not dropped). */
  private readonly attaching = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private subscription: Subscription | undefined
  private draining = false
  private readonly startedAt = Date.now()
  private closed = false
  /** Called when a session appears in the catalogue (the registry makes its handle). */
  onSession: ((id: string, facts: SessionFacts) => void) | undefined

  private constructor (
    private readonly cluster: ClusterSettings,
    private readonly settings: Settings,
    private readonly link: ClusterLink,
    private readonly engine: SessionRegistry,
    private readonly log: Logger,
    backups: ClusterBackups,
    private readonly uploads: UploadStore
  ) {
    this.requests = new Requester(link.nc)
    this.owner = new Owner(cluster, link, engine, settings.tdlib.path, backups, settings.terminate_delay * 1000, log, async id => await this.entry(id))
  }

  /** Connects to NATS, learns the cluster's state and starts answering. */
  static async open (settings: Settings, engine: SessionRegistry, backups: ClusterBackups, uploads: UploadStore, log: Logger): Promise<ClusterNode> {
    const cluster = settings.cluster as ClusterSettings
    const link = await openLink(cluster, log)
    backups.store = link.backups
    const node = new ClusterNode(cluster, settings, link, engine, log, backups, uploads)
    backups.mayWrite = id => node.owner.mayBackUp(id)
    try {
      await node.start()
    } catch (e) {
      await link.nc.close().catch(() => {})
      throw e
    }
    return node
  }

  get name (): string { return this.cluster.node }
  private get timeoutMs (): number { return this.cluster.request_timeout * 1000 }

  private async start (): Promise<void> {
    await this.follow(this.link.catalogue, (key, value) => {
      if (value === undefined) this.catalogue.delete(key)
      else {
        const entry = JSON.parse(value) as CatalogueEntry
        this.catalogue.set(key, entry)
        this.onSession?.(key, { ...(entry.creator === undefined ? {} : { creator: entry.creator }) })
      }
    })
    await this.follow(this.link.leases, (key, value) => {
      if (value === undefined) this.leases.delete(key)
      else this.leases.set(key, { value: JSON.parse(value) as LeaseValue, at: Date.now() })
    })
    await this.follow(this.link.nodes, (key, value) => {
      if (value === undefined) this.nodes.delete(key)
      else this.nodes.set(key, { value: JSON.parse(value) as NodeValue, at: Date.now() })
    })
    void this.watchConnection()
    this.subscription = this.link.nc.subscribe(this.link.nodeSubject(this.name), { callback: (e, m) => { if (e === null) this.answer(m).catch(err => { this.log.warn({ node: this.name, err }, 'could not answer a cluster request (the connection closed under it?)') }) } })
    await this.heartbeat()
    this.timer = setInterval(() => { void this.tick() }, this.cluster.heartbeat * 1000)
    this.log.info({ node: this.name, servers: this.cluster.servers, sessions: this.catalogue.size }, 'cluster node joined')
  }

  /** Logs the NATS connection's changes; after a reconnect, every view consumes afresh. */
  private async watchConnection (): Promise<void> {
    for await (const s of this.link.nc.status()) {
      if (s.type === 'disconnect') this.log.warn({ node: this.name }, 'NATS connection lost; reconnecting')
      if (s.type === 'reconnect') {
        this.log.info({ node: this.name }, 'NATS connection back')
        for (const view of this.settled.values()) view.resume().catch(e => { this.log.warn({ session: view.sessionId, err: (e as Error).message }, 'update stream consumer not restarted') })
      }
    }
  }

  /** Feeds every current value of a bucket, then every change, to `apply` (undefined: deleted). Resolves after the current values. */
  private async follow (kv: KV, apply: (key: string, value: string | undefined) => void): Promise<void> {
    const watch = await kv.watch()
    let initial = true
    let resolveInitial!: () => void
    const done = new Promise<void>(resolve => { resolveInitial = resolve })
    void (async () => {
      for await (const e of watch) {
        // A value that does not parse (written by something else on NATS) is logged and
        // skipped: it must not end the watch, or this node's view of the cluster goes stale.
        try {
          apply(e.key, e.operation === 'PUT' ? e.string() : undefined)
        } catch (err) {
          this.log.error({ key: e.key, err: (err as Error).message }, 'cluster: a bucket entry that is not valid JSON was skipped')
        }
        if (initial && e.delta === 0) { initial = false; resolveInitial() }
      }
    })().catch(e => { this.log.error({ err: (e as Error).message }, 'cluster watch failed') })
    // An empty bucket sends nothing to end the initial values with.
    const status = await kv.status()
    if (status.values === 0) resolveInitial()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([done, new Promise(resolve => { timer = setTimeout(resolve, this.timeoutMs) })])
    clearTimeout(timer)
  }

  // --- what the registry asks -----------------------------------------------------------

  sessionIds (): string[] { return [...this.catalogue.keys()] }
  facts (id: string): SessionFacts | undefined {
    const e = this.catalogue.get(id)
    return e === undefined ? undefined : { ...(e.creator === undefined ? {} : { creator: e.creator }) }
  }

  /** The node whose lease on `id` was renewed recently, if any. */
  leaseHolder (id: string): string | undefined {
    const lease = this.leases.get(id)
    if (lease === undefined || Date.now() - lease.at > this.cluster.lease_ttl * 1000) return undefined
    return lease.value.node
  }

  /** A new session on the least loaded node (this one included); resolves with its id. */
  async create (creator: string | undefined): Promise<string> {
    const target = this.placement(undefined)
    if (target === this.name) return await this.createHere(creator)
    return await this.ask(target, { op: 'create', ...(creator === undefined ? {} : { creator }) }) as string
  }

  private async createHere (creator: string | undefined): Promise<string> {
    const session = await this.engine.create(creator)
    const entry: CatalogueEntry = { ...(creator === undefined ? {} : { creator }), created: Date.now(), last_owner: this.name }
    await this.link.catalogue.create(session.id, JSON.stringify(entry))
    this.catalogue.set(session.id, entry)
    this.onSession?.(session.id, this.facts(session.id) ?? {})
    return session.id
  }

  /**
   * Attaches a local connection: the node's view of the session catches up
   * with the stream, the member joins it (replaying from lastSeq), and the
   * session is made sure to run somewhere.
   */
  async attach (id: string, member: SessionMember, lastSeq: number | undefined): Promise<ResumeResult | undefined> {
    this.attaching.set(id, (this.attaching.get(id) ?? 0) + 1)
    let result: ResumeResult | undefined
    let view: UpdateView
    try {
      view = await this.view(id)
      await view.caughtUp(this.timeoutMs)
      result = view.join(member, lastSeq)
    } finally {
      const left = (this.attaching.get(id) ?? 1) - 1
      if (left === 0) this.attaching.delete(id)
      else this.attaching.set(id, left)
    }
    try {
      await this.ensureRunning(id)
    } catch (e) {
      view.leave(member)
      throw e
    }
    return result
  }

  detach (id: string, member: SessionMember): boolean { return this.settled.get(id)?.leave(member) === true }

  memberCount (id: string): number { return this.settled.get(id)?.members.size ?? 0 }
  hasMember (id: string, member: SessionMember): boolean { return this.settled.get(id)?.members.has(member) === true }
  lastSeq (id: string): number { return this.settled.get(id)?.last ?? 0 }
  authorizationState (id: string): string | undefined { return this.settled.get(id)?.authorizationState }

  /** Ends the local members of a session (the broker is stopping). */
  endView (id: string, reason: string): void { this.settled.get(id)?.close(reason) }

  private async view (id: string): Promise<UpdateView> {
    let view = this.views.get(id)
    if (view === undefined) {
      const v = new UpdateView(id, this.link, this.settings, this.log)
      view = v.start().then(() => { this.settled.set(id, v); return v })
      view.catch(() => { this.views.delete(id) })
      this.views.set(id, view)
    }
    return await view
  }

  /** Sends a TDLib request to the session's owner (this node or another) and resolves with TDLib's answer. */
  async invoke (id: string, request: TdObject): Promise<TdObject> {
    return await this.onOwner(id,
      async () => await (await this.owner.session(id)).invoke(this.withUploads(id, request)),
      async holder => await this.ask(holder, { op: 'invoke', session: id, request }) as TdObject)
  }

  /** broker.uploadFile for a session: the bytes are written on the node that runs it (this one or another). */
  async upload (id: string, req: UploadArgs): Promise<{ token: string, size: number }> {
    const r: UploadRequest = { session: id, client: req.client, connectionId: req.connectionId, name: req.name, ...(req.appendTo === undefined ? {} : { appendTo: req.appendTo }), maxFileSize: req.maxFileSize, from: this.name }
    return await this.onOwner(id, async () => await this.uploadHere(r, req.data), async holder => {
      // The bytes are one NATS message: past the server's max_payload it would be refused on the way.
      const max = this.link.nc.info?.max_payload
      if (max !== undefined && req.data.length + 4096 > max) {
        throw new BrokerError('UPLOAD_TOO_LARGE', `the file is ${req.data.length} bytes, and node ${holder}, which runs session ${id}, is reached over NATS, whose max_payload is ${max} bytes (headers included): a file must be smaller to cross between nodes (raise the NATS server's max_payload, or send it in parts with broker.uploadFile's append_to)`)
      }
      const h = headers()
      h.set(UPLOAD_HEADER, JSON.stringify(r))
      return await this.ask(holder, req.data, h) as { token: string, size: number }
    })
  }

  /**
   * Runs `here` when this node runs the session, else `there` on the lease's
   * holder; with no holder, starts the session somewhere first. A NotThere
   * answer means the request never reached TDLib (the session moved), so it is
   * tried again until cluster.request_timeout.
   */
  private async onOwner<T> (id: string, here: () => Promise<T>, there: (holder: string) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs
    for (;;) {
      const holder = this.leaseHolder(id)
      if (holder === undefined) {
        await this.ensureRunning(id)
      } else if (holder === this.name && this.owner.has(id)) {
        return await here()
      } else {
        try {
          return await there(holder)
        } catch (e) {
          if (!(e instanceof NotThere) || Date.now() > deadline) throw asBrokerError(e)
          await pause(100)
        }
      }
      if (Date.now() > deadline) throw new BrokerError('SESSION_CLOSED', `session ${id} has no node running it (within cluster.request_timeout)`)
    }
  }

  private async uploadHere (r: UploadRequest, data: Uint8Array): Promise<{ token: string, size: number }> {
    if (!this.owner.has(r.session)) throw new NotThere(this.name, `session ${r.session} is not run by node ${this.name}`)
    const session = await this.owner.session(r.session)
    const bytes = Buffer.from(data)
    // Connections of different nodes may share an id: the slot counts per node and connection.
    const connection = `${r.from}/${r.connectionId}`
    if (r.appendTo !== undefined) return { token: r.appendTo, size: await this.uploads.append(r.appendTo, r.session, r.client, connection, bytes, r.maxFileSize) }
    return { token: await this.uploads.save(session, r.client, connection, r.name, bytes), size: bytes.length }
  }

  /**
   * Swaps each upload reference in a request for its file here. The node the
   * client is on checked that the reference was issued to that client; one
   * not here was written on a node that ran the session before.
   */
  private withUploads (id: string, request: TdObject): TdObject {
    for (const { holder, field, type } of findLocalPaths(request)) {
      const value = holder[field]
      if (type !== 'inputFileLocal' || typeof value !== 'string' || !value.startsWith(UPLOAD_PREFIX)) continue
      const path = this.uploads.pathFor(value, id)
      if (path === undefined) throw new BrokerError('LOCAL_FILE_NOT_ALLOWED', `the upload ${value} is not on node ${this.name}, which runs session ${id} now (the session moved since it was uploaded); upload the file again`)
      holder[field] = path
    }
    return request
  }

  /** Makes sure some node runs `id`, asking (or becoming) its owner. One attempt at a time per session. */
  async ensureRunning (id: string): Promise<void> {
    let pending = this.opening.get(id)
    if (pending === undefined) {
      pending = this.open(id).finally(() => { this.opening.delete(id) })
      this.opening.set(id, pending)
    }
    await pending
  }

  private async open (id: string): Promise<void> {
    if (!this.catalogue.has(id)) {
      const entry = await this.entry(id)
      if (entry === undefined) throw new BrokerError('UNKNOWN_SESSION', `no session ${id}`)
    }
    const deadline = Date.now() + this.timeoutMs
    let lastError: unknown
    while (Date.now() < deadline) {
      const current = await this.link.leases.get(id).catch(() => null)
      const holder = current !== null && current.operation === 'PUT' ? current.json<LeaseValue>().node : undefined
      const target = holder ?? this.placement(this.catalogue.get(id)?.last_owner)
      try {
        if (target === this.name) await this.owner.own(id, this.name)
        else await this.ask(target, { op: 'open', session: id, from: this.name })
        return
      } catch (e) {
        lastError = e
        // Another node won the lease, or the holder is gone and its lease not yet expired: ask again shortly.
        if (!(e instanceof LeaseTaken) && !(e instanceof NotThere)) throw asBrokerError(e)
        await pause(200)
      }
    }
    throw new BrokerError('SESSION_START_FAILED', `session ${id}: no node could start it within cluster.request_timeout (${(lastError as Error | undefined)?.message ?? 'no answer'})`)
  }

  /** The node for a session: `preferred` when it is alive and not draining, else the one with the fewest sessions per weight. */
  private placement (preferred: string | undefined): string {
    const now = Date.now()
    // Other nodes' counts are from their last heartbeat; this node's own is current.
    const alive = [...this.nodes.values()].filter(n => now - n.at <= this.cluster.lease_ttl * 1000 && !n.value.draining && n.value.node !== this.name).map(n => n.value)
    if (!this.draining) alive.push(this.nodeValue())
    if (preferred !== undefined && alive.some(n => n.node === preferred)) return preferred
    alive.sort((a, b) => a.sessions / a.weight - b.sessions / b.weight || a.node.localeCompare(b.node))
    return alive[0]?.node ?? this.name
  }

  private async entry (id: string): Promise<CatalogueEntry | undefined> {
    const known = this.catalogue.get(id)
    if (known !== undefined) return known
    const e = await this.link.catalogue.get(id)
    return e === null || e.operation !== 'PUT' ? undefined : e.json<CatalogueEntry>()
  }

  // --- talking to other nodes -----------------------------------------------------------

  private async ask (node: string, request: Request | Uint8Array, h?: ReturnType<typeof headers>): Promise<unknown> {
    let reply: Reply
    try {
      const m = await this.requests.request(this.link.nodeSubject(node), request instanceof Uint8Array ? request : JSON.stringify(request), this.timeoutMs, h)
      reply = m.json<Reply>()
    } catch (e) {
      if (e instanceof NoResponders) throw new NotThere(node, `node ${node} is not connected`)
      throw new BrokerError('SESSION_CLOSED', `node ${node} did not answer (${(e as Error).message})`)
    }
    if (reply.ok) return reply.value
    if (reply.error === 'NOT_THERE') throw new NotThere(node, reply.message)
    if (reply.error === 'LEASE_TAKEN') throw new LeaseTaken(reply.redirect ?? '?')
    throw new BrokerError(reply.error as BrokerErrorName, reply.message.replace(/^[A-Z_]+: /, ''))
  }

  private async answer (m: Msg): Promise<void> {
    let reply: Reply
    try {
      const upload = m.headers?.get(UPLOAD_HEADER)
      if (upload !== undefined && upload !== '') reply = { ok: true, value: await this.uploadHere(JSON.parse(upload) as UploadRequest, m.data) }
      else {
        const text = m.string()
        reply = { ok: true, value: await this.handle(JSON.parse(text) as Request, text) }
      }
    } catch (e) {
      if (e instanceof LeaseTaken) reply = { ok: false, error: 'LEASE_TAKEN', message: e.message, redirect: e.node }
      else if (e instanceof NotThere) reply = { ok: false, error: 'NOT_THERE', message: e.message }
      else {
        const error = asBrokerError(e)
        reply = { ok: false, error: error.errorName, message: error.message }
      }
    }
    if (m.reply !== undefined && m.reply !== '') m.respond(JSON.stringify(reply))
  }

  /** @param text the request as it came: an invoke that does not contain UPLOAD_PREFIX names no upload, and is not walked for one */
  private async handle (r: Request, text: string): Promise<unknown> {
    switch (r.op) {
      case 'create': return await this.createHere(r.creator)
      case 'open': await this.owner.own(r.session, r.from); return undefined
      case 'invoke':
        if (!this.owner.has(r.session)) throw new NotThere(this.name, `session ${r.session} is not run by node ${this.name}`)
        return await (await this.owner.session(r.session)).invoke(text.includes(UPLOAD_PREFIX) ? this.withUploads(r.session, r.request) : r.request)
      case 'interest':
        for (const id of r.sessions) this.owner.interested(id, r.from)
        return undefined
      case 'drain': return await this.drainHere()
    }
  }

  // --- heartbeat --------------------------------------------------------------------------

  private nodeValue (): NodeValue {
    return { node: this.name, sessions: this.owner.count, weight: this.cluster.weight, draining: this.draining, started: this.startedAt }
  }

  private async heartbeat (): Promise<void> {
    await this.link.nodes.put(this.name, JSON.stringify(this.nodeValue()))
  }

  private async tick (): Promise<void> {
    if (this.closed) return
    this.owner.tick()
    this.heartbeat().catch(e => { this.log.warn({ err: (e as Error).message }, 'node heartbeat failed') })
    const byOwner = new Map<string, string[]>()
    const now = Date.now()
    for (const [id, view] of this.settled) {
      if (view.members.size === 0) {
        this.dropIfUnwatched(id, view, now)
        continue
      }
      this.unwatched.delete(id)
      const holder = this.leaseHolder(id)
      if (holder === undefined) {
        // Its owner went away (or gave it up): start it again for the clients here.
        this.ensureRunning(id).catch(e => { this.log.warn({ session: id, err: (e as Error).message }, 'session could not be started again') })
      } else if (holder === this.name) {
        this.owner.interested(id, this.name)
      } else {
        byOwner.set(holder, [...(byOwner.get(holder) ?? []), id])
      }
    }
    for (const [node, sessions] of byOwner) this.link.nc.publish(this.link.nodeSubject(node), JSON.stringify({ op: 'interest', sessions, from: this.name } satisfies Request))
  }

  /**
   * A view nobody on this node has been attached to for three heartbeats
   * (the owner's interest timeout) stops consuming and is forgotten: it
   * would go on decoding every update of the session for no one. A later
   * attach builds it again from the stream, as on a node that never had it.
   */
  private dropIfUnwatched (id: string, view: UpdateView, now: number): void {
    const since = this.unwatched.get(id)
    if (since === undefined) { this.unwatched.set(id, now); return }
    if (now - since < 3 * this.cluster.heartbeat * 1000 || this.attaching.has(id)) return
    this.unwatched.delete(id)
    this.settled.delete(id)
    this.views.delete(id)
    view.close('no client attached on this node')
  }

  // --- drain and status -------------------------------------------------------------------

  /** Asks `node` (this one or another) to move its sessions off; resolves with how many moved. */
  async drain (node: string): Promise<unknown> {
    if (node === this.name) return await this.drainHere()
    return await this.ask(node, { op: 'drain' })
  }

  private async drainHere (): Promise<{ node: string, moved: string[] }> {
    this.draining = true
    await this.heartbeat().catch(() => {})
    const moved: string[] = []
    for (const id of this.owner.ids()) {
      await this.owner.release(id, 'node draining')
      const target = this.placement(undefined)
      if (target !== this.name) {
        await this.ask(target, { op: 'open', session: id, from: this.name }).catch(e => { this.log.warn({ session: id, target, err: (e as Error).message }, 'drained session not started elsewhere yet; the nodes with clients will start it') })
      }
      moved.push(id)
    }
    this.log.info({ node: this.name, moved: moved.length }, 'node drained')
    return { node: this.name, moved }
  }

  /** The node's view for broker.getStatus; leases and session lists name only the sessions `visible` accepts. */
  status (visible: (session: string) => boolean): Record<string, unknown> {
    const now = Date.now()
    return {
      node: this.name,
      draining: this.draining,
      nodes: [...this.nodes.values()].filter(n => now - n.at <= this.cluster.lease_ttl * 1000).map(n => ({ ...n.value, seen_ms_ago: now - n.at })),
      leases: [...this.leases.entries()].filter(([session, l]) => now - l.at <= this.cluster.lease_ttl * 1000 && visible(session)).map(([session, l]) => ({ session, node: l.value.node, renewed_ms_ago: now - l.at })),
      sessions_owned: this.owner.ids().filter(visible),
      // The sessions whose updates this node consumes (its clients are attached, or were within three heartbeats).
      sessions_consumed: [...this.settled.keys()].filter(visible)
    }
  }

  /** Lets every session go cleanly and leaves the cluster; bounded, so an unreachable NATS cannot hold the broker's stop. */
  async close (reason: string): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    const limit = this.timeoutMs
    await bounded(this.owner.close(reason), 2 * limit)
    for (const view of this.settled.values()) view.close(reason)
    this.subscription?.unsubscribe()
    this.requests.close()
    await bounded(this.link.nodes.delete(this.name), limit)
    await bounded(this.link.nc.drain(), limit)
    await this.link.nc.close().catch(() => {})
  }
}

/** The asked node does not run the session (or is not there): nothing reached TDLib. */
class NotThere extends Error {
  constructor (readonly node: string, message: string) { super(message) }
}

function asBrokerError (e: unknown): BrokerError {
  if (e instanceof BrokerError) return e
  return new BrokerError('SESSION_START_FAILED', e instanceof Error ? e.message : String(e))
}

/** Waits for `work`, but no longer than `ms`; its failure is ignored (the caller goes on closing). */
async function bounded (work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work.catch(() => {}), new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}

async function pause (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

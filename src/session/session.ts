/**
 * One Telegram account: one TDLib client and the connections attached to it.
 *
 * Lifecycle (explicit states; stop is safe to call in any state):
 *   stopped --attach--> starting --ok--> running --idle/stop--> stopping --> stopped
 *                          \--fail--> stopped            \--TDLib closed itself--> stopped
 * The first attach starts the TDLib client; the last detach schedules a stop
 * after terminate_delay seconds, which another attach cancels.
 */
import { mkdir } from 'node:fs/promises'
import type { Logger } from '../log/logger.js'
import { redactSecrets } from '../log/redact.js'
import { globalPolicy, type Policy } from '../policy/policy.js'
import type { Settings } from '../settings/types.js'
import { isTdError, type TdBackend, type TdClient, type TdObject } from '../tdlib/backend.js'
import { BrokerError } from '../errors.js'
import { UpdateBuffer } from '../resume/update-buffer.js'
import { Sequence } from '../resume/sequence.js'
import { databaseKeys, hasTdlibData, keyCandidates, NO_KEY, type DatabaseKey } from './database-key.js'
import { SeqIndex } from '../resume/seq-index.js'
import { writeIndex, type SavedIndex } from '../resume/index-file.js'
import { writeMeta, type SessionMeta } from './meta.js'
import { OutgoingUpdate } from './outgoing.js'
import { sharedUpdates } from './shared-updates.js'
import { moveKey, moveToKey, openDatabase, type OpenContext, type OpenedClient } from './open-database.js'
import { addProxyRequest, tdlibParameters } from './tdlib-parameters.js'

export type SessionState = 'stopped' | 'starting' | 'running' | 'stopping'

/** A connection as a session sees it. */
export interface SessionMember {
  readonly id: string
  /** Called for every update of the session; must not throw. Returns whether it was sent (filters may drop it). */
  deliver(update: OutgoingUpdate): boolean
  /** The session stopped while this member was attached (it is detached). */
  sessionEnded(sessionId: string, reason: string): void
  /** A resume could not be complete: updates fromSeq..toSeq (inclusive) are no longer held. */
  updatesLost(sessionId: string, fromSeq: number, toSeq: number): void
  /** Whether deliver would send an update of this type about this chat (its filters; no side effect). */
  accepts(type: string, chatId: number | undefined): boolean
}

/** How an attach with last_seq went (docs/protocol.md, "Resuming"). */
export interface ResumeResult {
  /** False when updates after last_seq are no longer held (a broker.updatesLost notice came first). */
  complete: boolean
  /** The lowest sequence number from which every update is still held. */
  first_available_seq: number
  /** Held updates after last_seq that were sent to this connection (after its filters). */
  replayed: number
}

export interface SessionContext {
  readonly settings: Settings
  readonly backend: TdBackend
  readonly log: Logger
}

/** Updates that describe a state, replaced by the next one of their type. */
const STATE_UPDATES: ReadonlySet<string> = new Set(['updateAuthorizationState', 'updateConnectionState'])

/** setTimeout's limit (about 24.8 days); longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

export class Session {
  private stateValue: SessionState = 'stopped'
  private startingSinceValue = 0
  private client: TdClient | undefined
  private readonly members = new Set<SessionMember>()
  /** The member whose attach started the client: it alone receives catch-up updates with offline: true. */
  private starter: SessionMember | undefined
  private readonly sequence: Sequence
  private readonly buffer: UpdateBuffer
  /** What each recent number was, kept past the buffer, so a resume reports only real losses. */
  private readonly index: SeqIndex
  private indexChanged = false
  private metaWrites: Promise<void> = Promise.resolve()
  /** What the meta file holds: the last reservation written and the folder's database key id. */
  private metaReserved: number
  private databaseKeyId: string | undefined
  /** Set while the folder still uses an older key: it moves to this one once the session is logged in. */
  private keyToMove: DatabaseKey | undefined
  private pruneTimer: NodeJS.Timeout | undefined
  private lastAuthState: OutgoingUpdate | undefined
  private lastConnectionState: OutgoingUpdate | undefined
  private catchingUp = false
  /** The broker sends setTdlibParameters itself (it has credentials, or runs the sandbox). */
  private answersParameters = false
  private stopTimer: NodeJS.Timeout | undefined
  private transition: Promise<void> | undefined
  private readonly log: Logger
  /** The settings' whitelists: only updates that pass them are logged with their content. */
  private readonly logged: Policy

  /** The client that created the session, if one did (for scopes with sessions: "own"). */
  readonly creator: string | undefined

  /** @param savedIndex the index a clean stop wrote to the folder (resume/index-file.ts), if any */
  constructor (readonly id: string, readonly directory: string, private readonly ctx: SessionContext, meta: SessionMeta = { seq_reserved: 0 }, savedIndex?: SavedIndex) {
    this.log = ctx.log.child({ session: id })
    this.logged = globalPolicy(ctx.settings)
    this.creator = meta.creator
    this.metaReserved = meta.seq_reserved
    this.databaseKeyId = meta.database_key
    this.sequence = new Sequence(meta.seq_reserved, async reserved => { await this.writeMeta(reserved) }, message => { this.log.error(message) })
    this.buffer = new UpdateBuffer(ctx.settings.update_buffer_size, ctx.settings.update_buffer_age * 1000, meta.seq_reserved)
    this.index = new SeqIndex(ctx.settings.update_buffer_size, meta.seq_reserved)
    if (savedIndex !== undefined && !this.index.restore(savedIndex.knownFrom, savedIndex.last, savedIndex.entries)) {
      this.log.info({ index_last: savedIndex.last, seq_reserved: meta.seq_reserved }, 'saved sequence index does not match the sequence (no clean stop); updates before the restart count as unknown')
    }
  }

  get state (): SessionState { return this.stateValue }
  /** When the current start began (Date.now()); undefined unless starting. Readiness looks for stuck starts. */
  get startingSince (): number | undefined { return this.stateValue === 'starting' ? this.startingSinceValue : undefined }
  get memberCount (): number { return this.members.size }
  /** The last sequence number given to an update of this session. */
  get lastSeq (): number { return this.sequence.last }
  /** The session's authorization state type, when known (e.g. authorizationStateReady). */
  get authorizationState (): string | undefined {
    const state = this.lastAuthState?.update.authorization_state as TdObject | undefined
    return state?.['@type']
  }

  hasMember (member: SessionMember): boolean { return this.members.has(member) }

  /**
   * Attaches a connection, starting the TDLib client if needed. Resolves once
   * the session runs; rejects with SESSION_START_FAILED if it cannot start.
   *
   * Without `lastSeq`, a member that joins a running session first receives
   * the current authorization and connection state updates. With it, the
   * member first receives every held update after lastSeq (preceded by a
   * broker.updatesLost notice when some are no longer held), then live ones.
   * Joining and replaying happen in one synchronous step, so no update can
   * fall between the replay and live delivery, or arrive twice.
   */
  async attach (member: SessionMember, lastSeq?: number): Promise<ResumeResult | undefined> {
    this.cancelStop()
    for (;;) {
      let result: ResumeResult | undefined
      switch (this.stateValue) {
        case 'running': {
          if (this.members.has(member)) return lastSeq === undefined ? undefined : this.nothingToReplay()
          this.checkResume(lastSeq)
          this.members.add(member)
          return this.catchUp(member, lastSeq, true)
        }
        case 'stopping':
          await this.transition
          continue
        case 'stopped':
          this.checkResume(lastSeq)
          this.starter = member
          this.members.add(member)
          result = this.catchUp(member, lastSeq, false)
          this.transition = this.start()
          break
        case 'starting':
          if (this.members.has(member)) {
            result = lastSeq === undefined ? undefined : this.nothingToReplay()
          } else {
            this.checkResume(lastSeq)
            this.members.add(member)
            result = this.catchUp(member, lastSeq, false)
          }
          break
      }
      try {
        await this.transition
      } catch (e) {
        this.detach(member)
        throw e
      }
      return result
    }
  }

  /** Detaches a connection; the last one out schedules the stop. Returns false if it was not attached. */
  detach (member: SessionMember): boolean {
    if (!this.members.delete(member)) return false
    if (this.starter === member) this.starter = undefined
    if (this.members.size === 0) this.scheduleStop()
    return true
  }

  /**
   * Sends a TDLib request and resolves with TDLib's answer (an `error` object
   * when TDLib refuses). A running session hands the client's own promise on
   * (one reaction for a failure), without an async frame per request.
   */
  invoke (request: TdObject): Promise<TdObject> {
    if (this.stateValue === 'starting') return this.invokeOnceStarted(request)
    const client = this.client
    if (this.stateValue !== 'running' || client === undefined) {
      return Promise.reject(new BrokerError('SESSION_CLOSED', `session ${this.id} is ${this.stateValue}`))
    }
    const closed = (e: unknown): BrokerError => new BrokerError('SESSION_CLOSED', `session ${this.id} closed before answering (${errorText(e)})`)
    let answer: Promise<TdObject>
    try {
      answer = client.invoke(request)
    } catch (e) {
      // A backend that throws instead of rejecting is answered alike.
      return Promise.reject(closed(e))
    }
    return answer.then(undefined, (e: unknown) => { throw closed(e) })
  }

  private async invokeOnceStarted (request: TdObject): Promise<TdObject> {
    await this.transition
    return await this.invoke(request)
  }

  /** Stops the TDLib client cleanly; attached members are told and detached. Idempotent. */
  async stop (reason: string): Promise<void> {
    this.cancelStop()
    if (this.stateValue === 'starting') await this.transition?.catch(() => {})
    if (this.stateValue === 'stopping') return await this.transition
    if (this.stateValue !== 'running') return
    this.stateValue = 'stopping'
    const client = this.client
    this.transition = (async () => {
      await client?.close()
      this.client = undefined
      this.stateValue = 'stopped'
      this.log.info({ reason }, 'session stopped')
      this.endMembers(reason)
    })()
    await this.transition
  }

  /**
   * Writes the exact last sequence number and the sequence index, once the
   * session no longer runs (clean broker shutdown). The index goes first: it
   * only counts once the meta file's number matches it.
   */
  async flushSequence (): Promise<void> {
    if (this.stateValue !== 'stopped') return
    if (this.indexChanged) {
      const saved = { knownFrom: this.index.knownFrom, last: this.index.last, entries: this.index.list() }
      await writeIndex(this.directory, saved).then(() => { this.indexChanged = false },
        e => { this.log.error({ err: errorText(e) }, 'cannot write the sequence index file') })
    }
    await this.sequence.flush().catch(e => { this.log.error({ err: errorText(e) }, 'cannot write the session meta file') })
  }

  private checkResume (lastSeq: number | undefined): void {
    if (lastSeq !== undefined && lastSeq > this.sequence.last) {
      throw new BrokerError('LAST_SEQ_AHEAD', `last_seq ${lastSeq} is beyond the latest update of session ${this.id} (${this.sequence.last}); attach without last_seq`)
    }
  }

  private nothingToReplay (): ResumeResult {
    return { complete: true, first_available_seq: this.buffer.firstAvailable, replayed: 0 }
  }

  /** What a member gets the moment it joins: the state snapshot, or a replay from lastSeq. */
  private catchUp (member: SessionMember, lastSeq: number | undefined, running: boolean): ResumeResult | undefined {
    if (lastSeq === undefined) {
      if (running && this.lastAuthState !== undefined) member.deliver(this.lastAuthState)
      if (running && this.lastConnectionState !== undefined) member.deliver(this.lastConnectionState)
      return undefined
    }
    const first = this.buffer.firstAvailable
    // Of the numbers no longer held, only those this member would have received are a loss for it.
    // Authorization and connection states are not: a later state replaces them, and the member gets
    // the current one (just below when running; live from the (re)start otherwise).
    const lost = this.index.lost(lastSeq + 1, first - 1, (type, chatId) => !STATE_UPDATES.has(type) && member.accepts(type, chatId))
    const complete = lost === undefined
    if (lost !== undefined) member.updatesLost(this.id, lost.from, lost.to)
    // The current states, if they are no longer held, so the member is not left guessing them.
    if (running) {
      const states = [this.lastAuthState, this.lastConnectionState]
        .filter((u): u is OutgoingUpdate => u !== undefined && u.seq > lastSeq && u.seq < first)
        .sort((a, b) => a.seq - b.seq)
      for (const u of states) member.deliver(u)
    }
    let replayed = 0
    for (const u of this.buffer.since(lastSeq)) if (member.deliver(u)) replayed++
    return { complete, first_available_seq: first, replayed }
  }

  private async writeMeta (reserved: number): Promise<void> {
    this.metaReserved = reserved
    const meta: SessionMeta = {
      ...(this.creator === undefined ? {} : { creator: this.creator }),
      seq_reserved: reserved,
      ...(this.databaseKeyId === undefined ? {} : { database_key: this.databaseKeyId }),
      backend: this.ctx.backend.kind,
    }
    // One write at a time, in order, so an older reservation never lands after a newer one.
    const write = this.metaWrites.then(async () => { await writeMeta(this.directory, meta) })
    this.metaWrites = write.catch(() => {})
    await write
  }

  private async start (): Promise<void> {
    this.stateValue = 'starting'
    this.startingSinceValue = Date.now()
    this.catchingUp = false
    this.lastAuthState = undefined
    this.lastConnectionState = undefined
    this.keyToMove = undefined
    if (this.pruneTimer !== undefined) clearTimeout(this.pruneTimer)
    this.log.info('session starting')
    let client: TdClient | undefined
    try {
      await mkdir(this.directory, { recursive: true })
      await this.sequence.ensureReserved()
      const { backend, settings } = this.ctx
      const params = tdlibParameters(settings, backend.kind, this.directory)
      this.answersParameters = params !== undefined
      let opened = this.newClient()
      client = opened.client
      if (params === undefined) {
        this.log.warn('tdlib.api_id and tdlib.api_hash are not set: the session waits for TDLib parameters and cannot log in')
        // Sent first all the same (docs/protocol.md): TDLib answers addProxy only once parameters are set, so it is not awaited.
        if (settings.tdlib.proxy !== undefined) {
          void client.invoke(addProxyRequest(settings.tdlib.proxy)).then(answer => {
            if (isTdError(answer)) this.log.error({ err: `${answer.code} ${answer.message}` }, 'addProxy failed')
          }, () => {})
        }
      } else {
        // The sandbox keeps its emulated logins in plain files whatever the key: its folders say so (no key).
        const keys = backend.kind === 'sandbox' ? { current: NO_KEY, previous: undefined } : databaseKeys(settings.tdlib)
        const candidates = keyCandidates(keys, this.databaseKeyId, await hasTdlibData(this.directory))
        const open = this.openContext()
        const key = await openDatabase(open, client, params, candidates)
        if (key.id === keys.current.id) {
          await this.recordDatabaseKey(key)
        } else {
          const moved = await moveToKey(open, opened, params, key, keys.current)
          opened = moved.opened
          client = opened.client
          this.keyToMove = moved.keyToMove
        }
      }
      this.stateValue = 'running'
      this.log.info('session started')
    } catch (e) {
      this.client = undefined
      this.stateValue = 'stopped'
      await client?.close().catch(() => {})
      this.log.error({ err: errorText(e) }, 'session failed to start')
      throw e instanceof BrokerError ? e : new BrokerError('SESSION_START_FAILED', `session ${this.id}: ${errorText(e)}`)
    }
  }

  /** A TDLib client for the session, made the current one, with a promise that resolves when it has closed. */
  private newClient (): OpenedClient {
    let client: TdClient | undefined
    let closedNow!: () => void
    const closed = new Promise<void>(resolve => { closedNow = resolve })
    client = this.ctx.backend.createClient({ sessionId: this.id, directory: this.directory }, {
      onUpdate: update => { this.onUpdate(client, update) },
      onClosed: reason => { closedNow(); this.onClosed(client, reason) }
    })
    this.client = client
    return { client, closed }
  }

  /** What open-database.ts needs of this session. */
  private openContext (): OpenContext {
    return {
      id: this.id,
      log: this.log,
      settings: this.ctx.settings,
      recordedKeyId: this.databaseKeyId,
      isCurrent: client => this.client === client,
      newClient: () => this.newClient(),
      dropCurrent: () => { this.client = undefined },
      recordKey: async key => { await this.recordDatabaseKey(key) },
    }
  }

  /** At authorizationStateReady: moves a folder still on an older key to the current one. */
  private moveKeyWhenReady (client: TdClient): void {
    const key = this.keyToMove
    if (key === undefined) return
    this.keyToMove = undefined
    void moveKey(this.openContext(), client, key)
  }

  /** Notes in the meta file which key the folder's database uses (its id, never the key). */
  private async recordDatabaseKey (key: DatabaseKey): Promise<void> {
    if (this.databaseKeyId === key.id) return
    this.databaseKeyId = key.id
    await this.writeMeta(this.metaReserved)
  }

  private onUpdate (client: TdClient | undefined, update: TdObject): void {
    if (client === undefined || client !== this.client) return
    const type = update['@type']
    let onlyStarter = false
    if (type === 'updateAuthorizationState') {
      const state = (update.authorization_state as TdObject | undefined)?.['@type']
      // The broker answers this state itself; clients could not anyway.
      if (state === 'authorizationStateWaitTdlibParameters' && this.answersParameters) return
      if (state === 'authorizationStateReady') this.moveKeyWhenReady(client)
    } else if (type === 'updateConnectionState') {
      this.catchingUp = (update.state as TdObject | undefined)?.['@type'] === 'connectionStateUpdating'
    } else if (this.catchingUp) {
      // What TDLib fetches while connectionStateUpdating happened while the
      // session was stopped: siptg's `offline` option gives it to the
      // connection that started the session, or drops it.
      if (!this.ctx.settings.offline) {
        this.log.debug({ type }, 'catch-up update dropped (offline: false)')
        return
      }
      onlyStarter = true
    }
    // Held for resuming clients: identical settings updates of every session share one frozen object.
    const out = new OutgoingUpdate(this.id, this.sequence.next(), sharedUpdates.share(update))
    if (this.log.isLevelEnabled('trace')) {
      // An update no client may receive is not the log's business either: its type only, marked as filtered.
      if (this.logged.allowsUpdate(type)) this.log.trace({ seq: out.seq, update: redactSecrets(update) }, 'update')
      else this.log.trace({ seq: out.seq, type, filtered: true }, 'update')
    }
    if (type === 'updateAuthorizationState') this.lastAuthState = out
    else if (type === 'updateConnectionState') this.lastConnectionState = out
    this.index.record(out.seq, onlyStarter ? undefined : out.type, onlyStarter ? undefined : out.chatId)
    this.indexChanged = true
    if (onlyStarter) {
      // Catch-up updates belong to the starter alone, so they are not held for resuming clients either.
      if (this.starter !== undefined) this.starter.deliver(out)
      return
    }
    this.buffer.push(out)
    for (const member of this.members) member.deliver(out)
  }

  private onClosed (client: TdClient | undefined, reason: Error | undefined): void {
    if (client === undefined || client !== this.client) return
    this.client = undefined
    // During start the pending request fails and start() reports it; during
    // stop, stop() finishes the transition.
    if (this.stateValue !== 'running') return
    const why = reason === undefined ? 'TDLib closed the session (close, logOut or destroy)' : `TDLib failed: ${reason.message}`
    this.stateValue = 'stopped'
    this.log.warn({ reason: why }, 'session closed by TDLib')
    this.endMembers(why)
  }

  private endMembers (reason: string): void {
    // Nothing new enters the buffer while stopped; let what it holds age out.
    if (this.pruneTimer !== undefined) clearTimeout(this.pruneTimer)
    const ageMs = Math.min(this.ctx.settings.update_buffer_age * 1000 + 1000, MAX_TIMER_MS)
    this.pruneTimer = setTimeout(() => { this.buffer.prune() }, ageMs).unref()
    const members = [...this.members]
    this.members.clear()
    this.starter = undefined
    for (const member of members) member.sessionEnded(this.id, reason)
  }

  private scheduleStop (): void {
    this.cancelStop()
    if (this.stateValue === 'stopped' || this.stateValue === 'stopping') return
    const delay = this.ctx.settings.terminate_delay * 1000
    this.stopTimer = setTimeout(() => {
      this.stopTimer = undefined
      if (this.members.size === 0) void this.stop('no client attached for terminate_delay').catch(e => { this.log.error({ err: errorText(e) }, 'stop failed') })
    }, delay)
  }

  private cancelStop (): void {
    if (this.stopTimer !== undefined) clearTimeout(this.stopTimer)
    this.stopTimer = undefined
  }
}

function errorText (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * What a node holds of one session's update stream while clients on it are
 * attached (or resume): an ordered JetStream consumer on the session's
 * subject, the recent updates (the same UpdateBuffer as a single broker:
 * update_buffer_size, update_buffer_age) and the attached connections. The
 * `@seq` of every update is the number the owner gave it, so it is the same
 * on every node, and a client resumes with last_seq on any of them.
 */
import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream'
import { BrokerError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { UpdateBuffer } from '../resume/update-buffer.js'
import { OutgoingUpdate } from '../session/outgoing.js'
import type { ResumeResult, SessionMember } from '../session/session.js'
import type { Settings } from '../settings/types.js'
import type { TdObject } from '../tdlib/backend.js'
import type { ClusterLink } from './link.js'
import { SEQ_HEADER, EVENT_HEADER, OWNER_HEADER, decodeUpdates } from './update-message.js'

export { EVENT_HEADER, SEQ_HEADER } from './update-message.js'

/** The session sequence number, the stream sequence, the message id and the owner's lease revision (OWNER_HEADER) of the session's last stream message (0, 0, '', 0 when none). */
export async function lastInStream (link: ClusterLink, sessionId: string): Promise<{ seq: number, streamSeq: number, msgId: string, ownerRevision: number }> {
  let m
  try {
    m = await link.jsm.streams.getMessage(link.stream, { last_by_subj: link.updates(sessionId) })
  } catch (e) {
    if (/no message found|not found/i.test((e as Error).message)) return { seq: 0, streamSeq: 0, msgId: '', ownerRevision: 0 }
    throw e
  }
  if (m === null) return { seq: 0, streamSeq: 0, msgId: '', ownerRevision: 0 }
  return { seq: Number(m.header.get(SEQ_HEADER) ?? 0) || 0, streamSeq: m.seq, msgId: m.header.get('Nats-Msg-Id') ?? '', ownerRevision: Number((m.header.get(OWNER_HEADER) ?? '').split(' ')[0]) || 0 }
}

export class UpdateView {
  readonly members = new Set<SessionMember>()
  private buffer: UpdateBuffer | undefined
  private lastValue = 0
  private streamSeq = 0
  private waiters: Array<{ streamSeq: number, resolve: () => void }> = []
  private lastAuth: OutgoingUpdate | undefined
  private lastConnection: OutgoingUpdate | undefined
  private messages: ConsumerMessages | undefined
  private closed = false

  constructor (readonly sessionId: string, private readonly link: ClusterLink, private readonly settings: Settings, private readonly log: Logger) {}

  get last (): number { return this.lastValue }
  get authorizationState (): string | undefined {
    return (this.lastAuth?.update.authorization_state as TdObject | undefined)?.['@type']
  }

  /** Starts consuming the session's subject from the oldest update the stream keeps. */
  async start (): Promise<void> { await this.consumeFrom(0) }

  /**
   * After NATS reconnected: a fresh consumer from the first stream message
   * not yet taken (the old one may wait for missed heartbeats before it
   * notices). What arrives twice is dropped by its number.
   */
  async resume (): Promise<void> {
    if (this.closed) return
    const old = this.messages
    await this.consumeFrom(this.streamSeq + 1)
    void old?.close()
  }

  private async consumeFrom (streamSeq: number): Promise<void> {
    const filter = { filter_subjects: this.link.updates(this.sessionId) }
    const consumer = await this.link.js.consumers.get(this.link.stream, streamSeq === 0 ? { ...filter, deliver_policy: DeliverPolicy.All } : { ...filter, opt_start_seq: streamSeq })
    const messages = await consumer.consume({ idle_heartbeat: 5000 })
    this.messages = messages
    if (this.closed) { void messages.close(); return }
    void (async () => {
      for await (const m of messages) {
        if (this.messages !== messages) break
        if (m.seq <= this.streamSeq) continue
        this.streamSeq = m.seq
        const event = m.headers?.get(EVENT_HEADER)
        if (event === 'closed') this.ended(m.string())
        else if (event === undefined || event === '') {
          // A message that is not what an owner writes is logged and skipped rather than ending the consumer.
          let updates: Array<{ seq: number, update: TdObject }> = []
          try { updates = decodeUpdates(name => m.headers?.get(name), m.string()) } catch (e) { this.log.error({ session: this.sessionId, seq: m.seq, err: (e as Error).message }, 'cluster: an update on the stream that is not valid was skipped') }
          for (const u of updates) this.take(u.seq, u.update)
        }
        this.wake()
      }
    })().catch(e => { this.log.error({ session: this.sessionId, err: (e as Error).message }, 'update stream consumer failed') })
  }

  /** Resolves once every update the stream held when called has been taken; bounded by `timeoutMs`. */
  async caughtUp (timeoutMs: number): Promise<void> {
    const { streamSeq } = await lastInStream(this.link, this.sessionId)
    if (this.streamSeq >= streamSeq) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new BrokerError('SESSION_START_FAILED', `session ${this.sessionId}: the update stream did not deliver its updates within ${timeoutMs / 1000} s`)) }, timeoutMs)
      this.waiters.push({ streamSeq, resolve: () => { clearTimeout(timer); resolve() } })
    })
  }

  /**
   * Adds a member and gives it what it missed, in one synchronous step (as
   * Session.attach does): the current states without lastSeq, the held
   * updates after lastSeq with it (after broker.updatesLost when some are
   * no longer held).
   */
  join (member: SessionMember, lastSeq: number | undefined): ResumeResult | undefined {
    const buffer = this.buffer
    if (lastSeq !== undefined && lastSeq > this.lastValue) {
      throw new BrokerError('LAST_SEQ_AHEAD', `last_seq ${lastSeq} is beyond the latest update of session ${this.sessionId} (${this.lastValue}); attach without last_seq`)
    }
    const already = this.members.has(member)
    this.members.add(member)
    if (already) return lastSeq === undefined ? undefined : { complete: true, first_available_seq: buffer?.firstAvailable ?? this.lastValue + 1, replayed: 0 }
    if (lastSeq === undefined) {
      if (this.lastAuth !== undefined) member.deliver(this.lastAuth)
      if (this.lastConnection !== undefined) member.deliver(this.lastConnection)
      return undefined
    }
    const first = buffer?.firstAvailable ?? this.lastValue + 1
    const complete = lastSeq + 1 >= first
    if (!complete) member.updatesLost(this.sessionId, lastSeq + 1, first - 1)
    let replayed = 0
    for (const u of buffer?.since(lastSeq) ?? []) if (member.deliver(u)) replayed++
    return { complete, first_available_seq: first, replayed }
  }

  leave (member: SessionMember): boolean { return this.members.delete(member) }

  /** Stops consuming; members are told the session ended for them here. */
  close (reason: string): void {
    this.closed = true
    void this.messages?.close()
    this.ended(reason)
  }

  private take (seq: number, update: TdObject): void {
    if (!(seq > this.lastValue)) return // published twice (a retry after a lost acknowledgement)
    if (this.buffer === undefined) this.buffer = new UpdateBuffer(this.settings.update_buffer_size, this.settings.update_buffer_age * 1000, seq - 1)
    this.lastValue = seq
    const out = new OutgoingUpdate(this.sessionId, seq, update)
    if (out.type === 'updateAuthorizationState') this.lastAuth = out
    else if (out.type === 'updateConnectionState') this.lastConnection = out
    this.buffer.push(out)
    for (const member of this.members) member.deliver(out)
  }

  private ended (reason: string): void {
    const members = [...this.members]
    this.members.clear()
    for (const member of members) member.sessionEnded(this.sessionId, reason)
  }

  private wake (): void {
    if (this.waiters.length === 0) return
    const due = this.waiters.filter(w => w.streamSeq <= this.streamSeq)
    this.waiters = this.waiters.filter(w => w.streamSeq > this.streamSeq)
    for (const w of due) w.resolve()
  }
}

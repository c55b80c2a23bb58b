/**
 * Requests to other nodes over NATS request/reply, answered on one reply
 * subscription of this node (`<inbox>.<token>`), with one sweep for the
 * timeouts. nats.js's own request() costs every request a timer, three
 * promises and a Promise.race besides the one the caller awaits; on the
 * forwarded TDLib request path (docs/cluster.md "Measured") that was a
 * visible share of the forwarding node's CPU, so this keeps to a map entry
 * and one promise per request.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node'

/** Milliseconds between looks for requests past their deadline: the precision of a timeout (request_timeout is at least 0.5 s). */
const SWEEP_MS = 100

/** Nobody listens on the subject (the node is not connected). */
export class NoResponders extends Error {}
/** No answer within the request's timeout (or the connection closed under it). */
export class RequestFailed extends Error {}

interface Pending { resolve: (m: Msg) => void, reject: (e: Error) => void, deadline: number, subject: string }

export class Requester {
  private readonly pending = new Map<string, Pending>()
  private next = 0
  private readonly inbox: string
  private readonly subscription: Subscription
  private sweeper: NodeJS.Timeout | undefined
  private closed = false

  constructor (private readonly nc: NatsConnection) {
    this.inbox = `${createInbox()}.`
    this.subscription = nc.subscribe(`${this.inbox}*`, { callback: (err, m) => { this.arrived(err, m) } })
  }

  /** Publishes `data` to `subject` and resolves with the first answer; rejects with NoResponders or RequestFailed. */
  async request (subject: string, data: string | Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    if (this.closed) throw new RequestFailed('the node is leaving the cluster')
    const token = (this.next++).toString(36)
    return await new Promise<Msg>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, deadline: Date.now() + timeoutMs, subject })
      try {
        this.nc.publish(subject, data, headers === undefined ? { reply: this.inbox + token } : { reply: this.inbox + token, headers })
      } catch (e) {
        this.pending.delete(token)
        reject(new RequestFailed((e as Error).message))
        return
      }
      // Runs while requests are pending; sequential requests find it running (it stops at a sweep with none).
      if (this.sweeper === undefined) {
        this.sweeper = setInterval(() => { this.sweep() }, SWEEP_MS)
        this.sweeper.unref()
      }
    })
  }

  /** Every pending request fails; nothing more is sent. */
  close (): void {
    this.closed = true
    this.failAll('the node is leaving the cluster')
    this.subscription.unsubscribe()
  }

  private arrived (err: Error | null, m: Msg): void {
    if (err !== null) { this.failAll(`the reply subscription failed (${err.message})`); return }
    const token = m.subject.slice(this.inbox.length)
    const p = this.pending.get(token)
    if (p === undefined) return // answered after its timeout
    this.pending.delete(token)
    // The server's "no responders" status: an empty message with header status 503.
    if (m.data.length === 0 && m.headers?.code === 503) p.reject(new NoResponders(`no responders on ${p.subject}`))
    else p.resolve(m)
  }

  private sweep (): void {
    if (this.pending.size === 0) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
      return
    }
    const now = Date.now()
    for (const [token, p] of this.pending) {
      if (now < p.deadline) continue
      this.pending.delete(token)
      p.reject(new RequestFailed('timeout'))
    }
  }

  private failAll (reason: string): void {
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) p.reject(new RequestFailed(reason))
  }
}

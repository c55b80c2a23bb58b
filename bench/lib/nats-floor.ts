/**
 * The asking side of the cluster round trip's floor (bench/child/nats-echo.ts
 * answers): NATS request/reply alone between two processes through the
 * cluster's nats-server, with a request and an answer of the sizes a
 * forwarded testSquareInt has. It asks as the broker's node does (one reply
 * subscription, a token per request), without the broker's code.
 */
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node'
import { Child } from './child.js'

export class NatsFloor {
  private waiting: (() => void) | undefined
  private next = 0

  private constructor (private readonly echo: Child, private readonly nc: NatsConnection, private readonly subject: string, private readonly inbox: string, private readonly request: string) {
    nc.subscribe(`${inbox}*`, { callback: () => { const w = this.waiting; this.waiting = undefined; w?.() } })
  }

  /** Starts the responder child on `url` and connects this side; `session` only shapes the request's bytes. */
  static async start (url: string, prefix: string, session: string): Promise<NatsFloor> {
    const subject = `${prefix}.floor`
    const echo = new Child('NATS floor responder', new URL('../child/nats-echo.js', import.meta.url))
    try {
      // What a forwarded testSquareInt and the owner's answer look like on the wire (src/cluster/node.ts).
      const request = JSON.stringify({ op: 'invoke', session, request: { '@type': 'testSquareInt', x: 3, '@extra': 1000000 } })
      const answer = JSON.stringify({ ok: true, value: { '@type': 'testInt', value: 9, '@extra': 1000000 } })
      await echo.call('start', { url, subject, answer })
      const nc = await connect({ servers: url })
      const floor = new NatsFloor(echo, nc, subject, `${createInbox()}.`, request)
      await nc.flush()
      return floor
    } catch (e) {
      await echo.stop()
      throw e
    }
  }

  /** One request, resolved when its answer arrives (one at a time). */
  async ask (): Promise<void> {
    await new Promise<void>(resolve => {
      this.waiting = resolve
      this.nc.publish(this.subject, this.request, { reply: this.inbox + (this.next++).toString(36) })
    })
  }

  async stop (): Promise<void> {
    await this.nc.close()
    await this.echo.stop()
  }
}

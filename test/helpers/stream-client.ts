/**
 * A bare protocol client for resume tests: it can drop its connection at an
 * exact point in the stream, ignoring whatever else had already arrived, as
 * a client whose connection breaks would.
 */
import net from 'node:net'

export type Msg = Record<string, any>

export class StreamClient {
  private buffer = ''
  private dropped = false
  readonly closed: Promise<void>
  private waiters: Array<{ pred: (m: Msg) => boolean, resolve: (m: Msg) => void }> = []

  private constructor (private readonly socket: net.Socket, private readonly onMessage: (m: Msg, client: StreamClient) => void) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      let nl: number
      while (!this.dropped && (nl = this.buffer.indexOf('\n')) !== -1) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as Msg
        this.buffer = this.buffer.slice(nl + 1)
        for (const w of [...this.waiters]) {
          if (w.pred(msg)) {
            this.waiters.splice(this.waiters.indexOf(w), 1)
            w.resolve(msg)
          }
        }
        this.onMessage(msg, this)
      }
    })
    socket.on('error', () => {})
    this.closed = new Promise(resolve => { socket.on('close', () => { resolve() }) })
  }

  static async connect (port: number, onMessage: (m: Msg, client: StreamClient) => void): Promise<StreamClient> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    return new StreamClient(socket, onMessage)
  }

  get isDropped (): boolean { return this.dropped }

  send (msg: Msg): void { this.socket.write(JSON.stringify(msg) + '\n') }

  /** Sends and waits for the message with the same @extra; undefined if the connection is dropped first. */
  async request (msg: Msg): Promise<Msg | undefined> {
    const extra = msg['@extra']
    const answer = new Promise<Msg>(resolve => { this.waiters.push({ pred: m => m['@extra'] === extra, resolve }) })
    this.send(msg)
    return await Promise.race([answer, this.closed.then(() => undefined)])
  }

  /** Breaks the connection now: nothing after this point is processed. */
  drop (): void {
    this.dropped = true
    this.buffer = ''
    this.socket.destroy()
  }

  close (): void { this.socket.end() }
}

/** A small seeded generator (mulberry32), so a failing run can be repeated. */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

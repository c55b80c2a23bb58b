/** A plain socket client speaking the broker's newline-delimited JSON, for tests. */
import net from 'node:net'

export type Msg = Record<string, unknown>

export class TestClient {
  readonly received: Msg[] = []
  private buffer = ''
  private waiters: Array<{ pred: (m: Msg) => boolean, resolve: (m: Msg) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }> = []
  private nextExtra = 1
  closed = false
  readonly closedPromise: Promise<void>

  private constructor (readonly socket: net.Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      let nl: number
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, nl)
        this.buffer = this.buffer.slice(nl + 1)
        const msg = JSON.parse(line) as Msg
        this.received.push(msg)
        for (const w of [...this.waiters]) {
          if (w.pred(msg)) {
            clearTimeout(w.timer)
            this.waiters.splice(this.waiters.indexOf(w), 1)
            w.resolve(msg)
          }
        }
      }
    })
    this.closedPromise = new Promise(resolve => { socket.on('close', () => { this.closed = true; resolve() }) })
    socket.on('error', () => {})
  }

  /** `localAddress` picks the client's own address (another loopback address, say). */
  static async connect (port: number, host = '127.0.0.1', localAddress?: string): Promise<TestClient> {
    const socket = net.connect({ port, host, ...(localAddress === undefined ? {} : { localAddress }) })
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    return new TestClient(socket)
  }

  sendRaw (text: string): void { this.socket.write(text) }
  send (msg: Msg): void { this.socket.write(JSON.stringify(msg) + '\n') }

  /** Waits for a message matching pred (already received ones count). */
  async waitFor (pred: (m: Msg) => boolean, timeoutMs = 10_000, what = 'message'): Promise<Msg> {
    const seen = this.received.find(pred)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w.timer !== timer)
        reject(new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.received.slice(-5))}`))
      }, timeoutMs)
      this.waiters.push({ pred, resolve, reject, timer })
    })
  }

  /** Sends a request with a fresh @extra and waits for the answer carrying it. */
  async request (msg: Msg, timeoutMs = 10_000): Promise<Msg> {
    const extra = Object.hasOwn(msg, '@extra') ? msg['@extra'] : `r${this.nextExtra++}`
    this.send({ ...msg, '@extra': extra })
    return await this.waitFor(m => JSON.stringify(m['@extra']) === JSON.stringify(extra) && m['@type'] !== undefined && !String(m['@type']).startsWith('update'), timeoutMs, `answer to ${String(msg['@type'])}`)
  }

  async createSession (): Promise<string> {
    const r = await this.request({ '@type': 'broker.createSession' }, 30_000)
    if (r['@type'] !== 'broker.session') throw new Error('createSession failed: ' + JSON.stringify(r))
    return r.session as string
  }

  updates (session?: string, type?: string): Msg[] {
    return this.received.filter(m => typeof m['@seq'] === 'number' && (session === undefined || m['@session'] === session) && (type === undefined || m['@type'] === type))
  }

  close (): void { this.socket.end() }
}

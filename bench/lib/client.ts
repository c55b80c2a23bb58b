/**
 * A lean protocol client for the benchmarks, over plain TCP, TLS or
 * WebSocket: requests carry a numeric @extra and are matched by it; every
 * other message goes to onMessage. Each line is parsed with JSON.parse, as a
 * real client would.
 */
import net from 'node:net'
import tls from 'node:tls'
import { WebSocket } from 'ws'

export type Transport = 'tcp' | 'tls' | 'websocket'
export type Msg = Record<string, unknown>

export interface Endpoint {
  readonly ports: { tcp: number, tls?: number, websocket?: number }
  readonly pair?: { cert: string, key: string }
}

export class BenchClient {
  private nextExtra = 1
  private readonly waiting = new Map<number, (m: Msg) => void>()
  private partial: Buffer | undefined
  /** Messages that answer no request of this client (updates, notices). */
  onMessage: (m: Msg) => void = () => {}

  private constructor (private readonly write: (line: string) => void, private readonly closer: () => void) {}

  static async connect (kind: Transport, endpoint: Endpoint): Promise<BenchClient> {
    if (kind === 'websocket') {
      const ws = new WebSocket(`ws://127.0.0.1:${port(endpoint.ports.websocket, kind)}/`, { perMessageDeflate: false })
      await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
      const client = new BenchClient(line => { ws.send(line) }, () => { ws.close() })
      ws.on('message', data => { client.receiveLine((data as Buffer).toString('utf8')) })
      ws.on('error', () => {})
      return client
    }
    let socket: net.Socket
    if (kind === 'tls') {
      const pair = endpoint.pair
      if (pair === undefined) throw new Error('the broker has no TLS listener')
      socket = tls.connect({ host: '127.0.0.1', port: port(endpoint.ports.tls, kind), servername: 'localhost', cert: pair.cert, key: pair.key, ca: pair.cert })
      await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
    } else {
      socket = net.connect(endpoint.ports.tcp, '127.0.0.1')
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    }
    socket.setNoDelay(true)
    const client = new BenchClient(line => { socket.write(line + '\n') }, () => { socket.end() })
    socket.on('data', (chunk: Buffer) => { client.receiveChunk(chunk) })
    socket.on('error', () => {})
    return client
  }

  /** Sends a request and resolves with its answer; @extra is set here. */
  async request (message: Msg): Promise<Msg> {
    const extra = this.nextExtra++
    return await new Promise(resolve => {
      this.waiting.set(extra, resolve)
      this.write(JSON.stringify({ ...message, '@extra': extra }))
    })
  }

  /**
   * Sends a request given as a JSON text without its closing brace, so a
   * caller in a hot loop builds the text once: `{"@type":"testSquareInt","x":3`.
   */
  requestPrefix (prefix: string): Promise<Msg> {
    const extra = this.nextExtra++
    return new Promise(resolve => {
      this.waiting.set(extra, resolve)
      this.write(`${prefix},"@extra":${extra}}`)
    })
  }

  close (): void { this.closer() }

  private receiveChunk (chunk: Buffer): void {
    let data = chunk
    if (this.partial !== undefined) {
      data = Buffer.concat([this.partial, chunk])
      this.partial = undefined
    }
    let start = 0
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      this.receiveLine(data.toString('utf8', start, nl))
      start = nl + 1
    }
    if (start < data.length) this.partial = Buffer.from(data.subarray(start))
  }

  private receiveLine (line: string): void {
    const m = JSON.parse(line) as Msg
    const extra = m['@extra']
    if (typeof extra === 'number') {
      const w = this.waiting.get(extra)
      if (w !== undefined) {
        this.waiting.delete(extra)
        w(m)
        return
      }
    }
    this.onMessage(m)
  }
}

function port (value: number | undefined, kind: string): number {
  if (value === undefined) throw new Error(`the broker has no ${kind} listener`)
  return value
}

/** Creates a session (attached, so it starts) and returns its id. */
export async function createSession (client: BenchClient): Promise<string> {
  const answer = await client.request({ '@type': 'broker.createSession' })
  if (answer['@type'] !== 'broker.session') throw new Error(`createSession failed: ${JSON.stringify(answer)}`)
  return answer.session as string
}

export async function attach (client: BenchClient, session: string): Promise<void> {
  const answer = await client.request({ '@type': 'broker.attachSession', session })
  if (answer['@type'] !== 'broker.attached') throw new Error(`attachSession failed: ${JSON.stringify(answer)}`)
}

/** Sends `request` (when given) once the session is in `state`; resolves when it is. */
export async function waitState (c: BenchClient, session: string, state: string, request?: Msg): Promise<void> {
  const previous = c.onMessage
  let timer: NodeJS.Timeout | undefined
  const reached = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`session ${session} never reached ${state}`)) }, 30_000)
    c.onMessage = m => {
      previous(m)
      if (m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === state) resolve()
    }
  })
  try {
    // The state may have come already.
    const now = await c.request({ '@type': 'getAuthorizationState', '@session': session })
    if (now['@type'] !== state) await reached
  } finally {
    clearTimeout(timer)
    c.onMessage = previous
  }
  if (request !== undefined) {
    const answer = await c.request({ ...request, '@session': session })
    if (answer['@type'] !== 'ok') throw new Error(`${String(request['@type'])}: ${JSON.stringify(answer)}`)
  }
}

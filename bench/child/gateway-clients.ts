/**
 * The Bot API gateway benchmark's clients, in their own process so that a
 * hundred consumers' HTTP loops do not compete with the broker's event loop
 * (bench/parts/gateway.ts runs the broker in bench/child/broker.ts, as
 * `tdbroker start` builds it). Both sides of the sendMessage comparison are
 * here: HTTP keep-alive calls to the gateway and sends through the TDLib JSON
 * socket. Latency samples are taken here too (send and receipt on one clock).
 */
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { BenchClient, createSession, waitState, type Msg } from '../lib/client.js'
import { percentile } from '../lib/stats.js'
import { serveCommands } from '../lib/ipc.js'

const BOT = { id: 7000002, username: 'inline_sandbox_bot' }
const ALICE = { id: 1000001, phone: '+15550001001', code: '12345' }

let socket: BenchClient | undefined
let botSession = ''
/**
 * Whether the socket client is attached to the bot's session: only while socket paths are measured,
 * so that an HTTP send or a delivery to consumers does not also pay for a socket client's copy of
 * every update of the bot (Alice's session stays attached throughout: her updates are the same on
 * every path).
 */
let attachedToBot = false
let alice: { session: string, chatId: number } | undefined
let httpPort = 0
let hooks: http.Server | undefined
/** The last answer of the gateway's sendMessage over HTTP. */
let lastAnswer: Msg | undefined
/** Each webhook delivery, by consumer index (set by a latency run). */
let received: (update: Msg) => void = () => {}
/** updateMessageSendSucceeded of the bot's sends: waiters by temporary id, and finals that came before their waiter. */
const finals = new Map<number, () => void>()
const earlyFinals = new Set<number>()

serveCommands({
  /**
   * Connects to the broker, attaches the bot's session, logs Alice in and has
   * her write to the bot once; with `token`, checks that this consumer got it.
   */
  connect: async (args: { tcp: number, http: number, key: string, botSession: string, token?: string }) => {
    httpPort = args.http
    botSession = args.botSession
    const c = socket = await BenchClient.connect('tcp', { ports: { tcp: args.tcp } })
    expect(await c.request({ '@type': 'broker.authenticate', name: 'bench', key: args.key }), 'broker.authenticated')
    attachedToBot = false
    c.onMessage = m => {
      if (m['@type'] !== 'updateMessageSendSucceeded' || m['@session'] !== botSession) return
      const old = Number(m.old_message_id)
      const waiter = finals.get(old)
      if (waiter === undefined) earlyFinals.add(old)
      else { finals.delete(old); waiter() }
    }
    const session = await createSession(c)
    await waitState(c, session, 'authorizationStateWaitPhoneNumber', { '@type': 'setAuthenticationPhoneNumber', phone_number: ALICE.phone })
    await waitState(c, session, 'authorizationStateWaitCode', { '@type': 'checkAuthenticationCode', code: ALICE.code })
    await waitState(c, session, 'authorizationStateReady')
    const chat = expect(await c.request({ '@type': 'searchPublicChat', username: BOT.username, '@session': session }), 'chat')
    alice = { session, chatId: Number(chat.id) }
    // The bot may write to Alice once she has written to it.
    expect(await aliceSays('hi'), 'message')
    if (args.token === undefined) return null
    const met = await call(args.token, 'getUpdates', JSON.stringify({ timeout: 20 }))
    if (!Array.isArray(met.result) || met.result.length === 0) throw new Error(`the bot did not get Alice's first message: ${JSON.stringify(met)}`)
    return null
  },
  /**
   * `total` sends of one path, `inFlight` at a time; resolves with sends/s.
   * http: Bot API sendMessage (answered with the sent message, after TDLib's
   * updateMessageSendSucceeded). socket-first: TDLib's sendMessage until its
   * first answer (the temporary message). socket-final: until the
   * updateMessageSendSucceeded of that message, the work the Bot API's answer waits for.
   * http-floor: the same HTTP requests to bench/child/http-floor.ts at `floorPort`.
   */
  send: async (args: { path: 'http' | 'http-floor' | 'socket-first' | 'socket-final', total: number, inFlight: number, token: string, floorPort?: number }) => {
    const body = JSON.stringify({ chat_id: ALICE.id, text: 'bench' })
    const prefix = `{"@type":"sendMessage","@session":"${botSession}","chat_id":${ALICE.id},"input_message_content":{"@type":"inputMessageText","text":{"@type":"formattedText","text":"bench","entities":[]}}`
    const c = socket!
    const overHttp = args.path === 'http' || args.path === 'http-floor'
    await attachToBot(!overHttp)
    const port = args.path === 'http-floor' ? args.floorPort ?? 0 : httpPort
    const connections = overHttp ? await Promise.all(Array.from({ length: args.inFlight }, async () => await Connection.open(port))) : []
    const one = overHttp
      ? async (i: number) => {
        const answer = await connections[i]!.post(args.token, 'sendMessage', body)
        if (answer.ok !== true) throw new Error(`sendMessage over HTTP: ${JSON.stringify(answer)}`)
        if (args.path === 'http') lastAnswer = answer
      }
      : async () => {
        const m = expect(await c.requestPrefix(prefix), 'message')
        if (args.path === 'socket-final') await finalOf(Number(m.id))
      }
    const start = process.hrtime.bigint()
    let started = 0
    await Promise.all(Array.from({ length: args.inFlight }, async (_, i) => {
      while (started < args.total) {
        started++
        await one(i)
      }
    }))
    const rate = args.total / (Number(process.hrtime.bigint() - start) / 1e9)
    for (const connection of connections) connection.close()
    return rate
  },
  /** A local webhook server answering 200, and setWebhook for every token (consumer i gets /i). */
  webhooks: async (args: { tokens: string[] }) => {
    hooks = http.createServer({ keepAlive: true }, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        res.writeHead(200, { 'content-length': 0 }).end()
        received(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Msg)
      })
    })
    await new Promise<void>(resolve => { hooks!.listen(0, '127.0.0.1', resolve) })
    const hookPort = (hooks.address() as AddressInfo).port
    for (const [i, token] of args.tokens.entries()) {
      const answer = await call(token, 'setWebhook', JSON.stringify({ url: `http://127.0.0.1:${hookPort}/${i}`, drop_pending_updates: true }))
      if (answer.ok !== true) throw new Error(`setWebhook: ${JSON.stringify(answer)}`)
    }
    return null
  },
  /** Each token's first check (scrypt, one at a time per address), made before clocks and CPU counts run. */
  warm: async (args: { tokens: string[] }) => {
    for (const token of args.tokens) await call(token, 'getUpdates', JSON.stringify({ offset: -1 }))
    return null
  },
  latency: async (args: { tokens: string[], webhook: boolean, messages: number }) => await latency(args.tokens, args.webhook, args.messages),
  /** The gateway's last sendMessage answer, re-encoded (the floor server answers with these bytes). */
  lastAnswer: () => JSON.stringify(lastAnswer),
  cpu: () => process.cpuUsage(),
  /** Closes everything held (before the broker stops). */
  close: async () => {
    socket?.close()
    socket = undefined
    if (hooks !== undefined) {
      hooks.closeAllConnections()
      await new Promise(resolve => hooks!.close(resolve))
      hooks = undefined
    }
    return null
  }
}, {}, async () => { socket?.close(); hooks?.closeAllConnections() })

/** Attaches the socket client to the bot's session, or detaches it (before a path's sends, outside their clock). */
async function attachToBot (attach: boolean): Promise<void> {
  if (attach === attachedToBot) return
  const c = socket!
  if (attach) expect(await c.request({ '@type': 'broker.attachSession', session: botSession }), 'broker.attached')
  else expect(await c.request({ '@type': 'broker.detachSession', session: botSession }), 'broker.detached')
  attachedToBot = attach
}

async function finalOf (temporaryId: number): Promise<void> {
  if (earlyFinals.delete(temporaryId)) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { finals.delete(temporaryId); reject(new Error(`no updateMessageSendSucceeded for ${temporaryId} in 30 s`)) }, 30_000)
    finals.set(temporaryId, () => { clearTimeout(timer); resolve() })
  })
}

async function aliceSays (text: string): Promise<Msg> {
  return await socket!.request({ '@type': 'sendMessage', '@session': alice!.session, chat_id: alice!.chatId, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } } })
}

/** Messages from Alice, one at a time; each consumer's receipt time minus the send time, in ms. */
async function latency (tokens: string[], webhook: boolean, messages: number): Promise<{ p50: number, p99: number }> {
  const count = tokens.length
  const samples: number[] = []
  let pending = 0
  let done: (() => void) | undefined
  let sentAt = 0n
  let current = ''
  const got = (update: Msg): void => {
    const text = (update.message as Msg | undefined)?.text
    if (text !== current) return
    samples.push(Number(process.hrtime.bigint() - sentAt) / 1e6)
    if (--pending === 0) done?.()
  }
  received = got
  const polls: Connection[] = []
  let stopping = false
  const loops: Array<Promise<void>> = []
  if (!webhook) {
    for (const [i, token] of tokens.entries()) {
      const connection = await Connection.open(httpPort)
      polls.push(connection)
      loops.push((async () => {
        let offset = -1
        while (!stopping) {
          const answer = await connection.post(token, 'getUpdates', JSON.stringify({ offset, timeout: 30 })).catch((e: Error): Msg => ({ ok: false, description: e.message }))
          if (answer.ok !== true) {
            if (stopping) break
            throw new Error(`consumer ${i}: getUpdates answered ${JSON.stringify(answer)}`)
          }
          for (const u of answer.result as Msg[]) { got(u); offset = Number(u.update_id) + 1 }
        }
      })())
    }
  }
  try {
    for (let m = 0; m < messages + 5; m++) {
      current = `latency ${m}`
      pending = count
      const all = new Promise<void>((resolve, reject) => {
        done = resolve
        setTimeout(() => { reject(new Error(`message ${m}: ${pending} of ${count} consumers did not get it in 30 s`)) }, 30_000).unref()
      })
      // The first five are warm-up.
      if (m === 5) samples.length = 0
      sentAt = process.hrtime.bigint()
      expect(await aliceSays(current), 'message')
      await all
    }
  } finally {
    stopping = true
    for (const connection of polls) connection.close()
    await Promise.all(loops)
    received = () => {}
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

/**
 * One keep-alive HTTP/1.1 connection to the gateway, one request at a time:
 * a lean client as BenchClient is for the socket (the request head is
 * written by hand, the answer read by its content-length, then JSON.parse),
 * so that a hundred consumers in one process cost it little more than a
 * hundred socket clients would. The gateway always sends content-length.
 */
class Connection {
  private buffered: Buffer = Buffer.alloc(0)
  private waiting: { resolve: (m: Msg) => void, reject: (e: Error) => void } | undefined
  private constructor (private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => { this.receive(chunk) })
    socket.on('error', () => {})
    socket.on('close', () => { this.waiting?.reject(new Error('the connection closed')); this.waiting = undefined })
  }

  static async open (port: number): Promise<Connection> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    socket.setNoDelay(true)
    return new Connection(socket)
  }

  async post (token: string, method: string, body: string): Promise<Msg> {
    if (this.waiting !== undefined) throw new Error('one request at a time per connection')
    return await new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.socket.write(`POST /bot${token}/${method} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    })
  }

  close (): void { this.socket.destroy() }

  private receive (chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    const headEnd = this.buffered.indexOf('\r\n\r\n')
    if (headEnd === -1) return
    const head = this.buffered.toString('latin1', 0, headEnd).toLowerCase()
    const at = head.indexOf('\r\ncontent-length:')
    if (at === -1) {
      this.waiting?.reject(new Error(`an answer without content-length: ${head}`))
      this.waiting = undefined
      this.socket.destroy()
      return
    }
    const length = parseInt(head.slice(at + 17), 10)
    const end = headEnd + 4 + length
    if (this.buffered.length < end) return
    const body = this.buffered.toString('utf8', headEnd + 4, end)
    this.buffered = this.buffered.subarray(end)
    const w = this.waiting
    this.waiting = undefined
    w?.resolve(JSON.parse(body) as Msg)
  }
}

/** A one-off call on a connection of its own (setup, not measured). */
async function call (token: string, method: string, body: string): Promise<Msg> {
  const c = await Connection.open(httpPort)
  try {
    return await c.post(token, method, body)
  } finally {
    c.close()
  }
}

function expect (m: Msg, type: string): Msg {
  if (m['@type'] !== type) throw new Error(`expected ${type}, got ${JSON.stringify(m)}`)
  return m
}

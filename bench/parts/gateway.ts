/**
 * 7. The Bot API gateway, on the sandbox, broker and clients in this one
 * process (so both sides of every comparison share one CPU alike):
 * - sendMessage requests/s over HTTP keep-alive (JSON bodies, 16 in flight)
 *   against the same sends through the TDLib JSON socket (16 in flight), in
 *   interleaved rounds; the ratio per round, median and range. The gateway's
 *   send includes waiting for TDLib's final message (updateMessageSendSucceeded),
 *   as the Bot API answers with it; the socket's ends at TDLib's answer.
 * - delivery latency from a customer's message (Alice, sendMessage over the
 *   socket) to 1, 10 and 100 consumers, by long polling (each consumer one
 *   getUpdates loop) and by webhook (a local HTTP server answering 200), p50
 *   and p99 over every delivery, median and range over repeats.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { hashClientKey, newClientKey } from '../../src/clients/key-hash.js'
import { newBotToken } from '../../src/gateway/tokens.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { createSandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { BenchClient, createSession, type Msg } from '../lib/client.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, table, type PartReport, type Target } from '../lib/report-types.js'
import { percentile, Repeats } from '../lib/stats.js'
import { removeFolder, tempFolder } from '../lib/temp.js'

const BOT = { id: 7000002, username: 'inline_sandbox_bot', token: '7000002:sandbox-inline-bot-token' }
const ALICE = { id: 1000001, phone: '+15550001001', code: '12345' }
const CONSUMERS = [1, 10, 100] as const
const IN_FLIGHT = 16
/** Low scrypt cost for the bench's own tokens and keys (start-up time only; checked tokens are cached). */
const SCRYPT = { N: 1024, r: 8, p: 1 }
const REQUESTS = ['getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationBotToken',
  'getMe', 'getUser', 'getChat', 'getSupergroup', 'getMessage', 'searchPublicChat', 'sendMessage']
const UPDATES = ['updateAuthorizationState', 'updateNewMessage', 'updateMessageEdited', 'updateNewCallbackQuery', 'updateUser', 'updateNewChat', 'updateMessageSendSucceeded']
const silent = pino({ level: 'silent' })

interface World { dir: string, botSession: string, tokens: string[], key: string, keyHash: string }

export async function runGateway (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const rounds = Math.max(3, options.repeats)
  const sends = options.quick ? 500 : 3000
  const messages = options.quick ? 30 : 150
  const world = await prepareWorld(Math.max(...CONSUMERS))
  const r = new Repeats()
  try {
    // Throughput: one broker with one consumer.
    const one = await startGateway(world, 1, false)
    try {
      const alice = await loginAlice(one)
      const http = agentCall(one.port, world.tokens[0] as string)
      // The bot may write to Alice once she has written to it.
      await alice.client.request({ '@type': 'sendMessage', '@session': alice.session, chat_id: alice.chatId, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'hi', entities: [] } } })
      const met = await http('getUpdates', JSON.stringify({ timeout: 20 }))
      if (!Array.isArray(met.result) || met.result.length === 0) throw new Error(`the bot did not get Alice's first message: ${JSON.stringify(met)}`)
      const socketSend = `{"@type":"sendMessage","@session":"${world.botSession}","chat_id":${ALICE.id},"input_message_content":{"@type":"inputMessageText","text":{"@type":"formattedText","text":"bench","entities":[]}}`
      const body = JSON.stringify({ chat_id: ALICE.id, text: 'bench' })
      // Warm-up of both paths.
      await concurrently(200, async () => { await http('sendMessage', body) })
      await concurrently(200, async () => { expectMessage(await one.socket.requestPrefix(socketSend)) })
      for (let round = 0; round < rounds; round++) {
        const h = await perSecond(sends, async () => { await http('sendMessage', body) })
        const s = await perSecond(sends, async () => { expectMessage(await one.socket.requestPrefix(socketSend)) })
        r.add('http', h)
        r.add('socket', s)
        r.add('ratio', h / s)
        log(`   round ${round + 1}: HTTP ${h.toFixed(0)}/s, socket ${s.toFixed(0)}/s, ratio ${(h / s).toFixed(2)}`)
      }
      alice.close()
    } finally {
      await one.stop()
    }
    // Latency: a broker per consumer count and mode.
    for (const webhook of [false, true]) {
      for (const count of CONSUMERS) {
        const running = await startGateway(world, count, webhook)
        try {
          const alice = await loginAlice(running)
          for (let round = 0; round < rounds; round++) {
            const { p50, p99 } = await latency(running, world, alice, count, webhook, messages)
            const mode = webhook ? 'webhook' : 'poll'
            r.add(`${mode}-${count}-p50`, p50)
            r.add(`${mode}-${count}-p99`, p99)
          }
          log(`   ${webhook ? 'webhook' : 'long polling'}, ${count} consumers: p50 ${fmt(r.get(`${webhook ? 'webhook' : 'poll'}-${count}-p50`), 2)} ms, p99 ${fmt(r.get(`${webhook ? 'webhook' : 'poll'}-${count}-p99`), 2)} ms`)
          alice.close()
        } finally {
          await running.stop()
        }
      }
    }
  } finally {
    removeFolder(world.dir)
  }
  const ratio = r.get('ratio')
  const targets: Target[] = [
    { name: 'Bot API sendMessage over HTTP keep-alive at least 0.8x the TDLib JSON socket', measured: `${fmt(ratio, 2)}x`, pass: ratio.median >= 0.8 },
    ...(['poll', 'webhook'] as const).map(mode => {
      const p99 = r.get(`${mode}-100-p99`)
      return { name: `Bot API delivery p99 under 20 ms at 100 consumers (${mode === 'poll' ? 'long polling' : 'webhook'})`, measured: `${fmt(p99, 2)} ms`, pass: p99.median < 20 }
    })
  ]
  const markdown = [
    '## Bot API gateway',
    '',
    `Sandbox backend; broker, HTTP clients and socket client in one process. sendMessage: ${sends} sends per round and path, ${IN_FLIGHT} in flight, ${rounds} interleaved rounds; ` +
    'the gateway\'s answer waits for TDLib\'s final message (as the Bot API answers with it), the socket\'s is TDLib\'s first answer. ' +
    `Latency: ${messages} customer messages per repeat, one at a time, from Alice's sendMessage over the socket until each consumer has the update (long polling: a getUpdates loop per consumer; webhook: a local HTTP server). Median (min–max) over ${rounds} repeats.`,
    '',
    table(['sendMessage', 'requests/s'], [
      ['HTTP keep-alive (Bot API)', fmt(r.get('http'), 0)],
      ['TDLib JSON socket', fmt(r.get('socket'), 0)],
      ['ratio', `${fmt(ratio, 2)}x`]
    ]),
    '',
    table(['consumers', 'long polling p50 (ms)', 'long polling p99 (ms)', 'webhook p50 (ms)', 'webhook p99 (ms)'], CONSUMERS.map(n => [
      String(n), fmt(r.get(`poll-${n}-p50`), 2), fmt(r.get(`poll-${n}-p99`), 2), fmt(r.get(`webhook-${n}-p50`), 2), fmt(r.get(`webhook-${n}-p99`), 2)
    ]))
  ].join('\n')
  return {
    part: 'gateway',
    markdown,
    targets,
    charts: [{
      title: 'Bot API delivery p99',
      unit: 'ms',
      groups: CONSUMERS.map(n => ({ label: `${n} consumers`, bars: [{ series: 'long polling', value: r.get(`poll-${n}-p99`) }, { series: 'webhook', value: r.get(`webhook-${n}-p99`) }] }))
    }]
  }
}

function baseSettings (world: Pick<World, 'keyHash'>): Record<string, unknown> {
  return {
    host: '127.0.0.1', port: 0, terminate_delay: 0,
    tdlib: { api_id: 94575, api_hash: 'API_HASH', path: 'sessions', backend: 'sandbox' },
    allowed_requests: REQUESTS, allowed_updates: UPDATES,
    clients: [{ name: 'bench', key_hash: world.keyHash, scope: {} }]
  }
}

/** Logs the bot in once and makes the consumers' tokens. */
async function prepareWorld (consumers: number): Promise<World> {
  const dir = tempFolder()
  const key = newClientKey()
  const keyHash = await hashClientKey(key, SCRYPT)
  const broker = new Broker({ settings: settingsFromObject(baseSettings({ keyHash }), dir), backend: createSandboxBackend(), logger: silent })
  await broker.start()
  let botSession: string
  try {
    const c = await connect(broker.addresses.tcp!.port, key)
    botSession = await createSession(c)
    await waitState(c, botSession, 'authorizationStateWaitPhoneNumber', { '@type': 'checkAuthenticationBotToken', token: BOT.token })
    await waitState(c, botSession, 'authorizationStateReady')
    c.close()
  } finally {
    await broker.stop('bench setup over')
  }
  const tokens = Array.from({ length: consumers }, () => newBotToken(BOT.id))
  return { dir, botSession, tokens, key, keyHash }
}

interface Running { broker: Broker, port: number, socket: BenchClient, hooks?: http.Server, received: (consumer: number, update: Msg) => void, stop(): Promise<void> }

async function startGateway (world: World, count: number, webhook: boolean): Promise<Running> {
  const consumers = await Promise.all(world.tokens.slice(0, count).map(async (token, i) => ({
    name: `c${i}`, bot_id: BOT.id, session: world.botSession, client: 'bench', token_hash: await hashClientKey(token, SCRYPT),
    webhook_hosts: ['127.0.0.1'], webhook_allow_http: true
  })))
  const settings = settingsFromObject({ ...baseSettings(world), bot_api: { host: '127.0.0.1', port: 0, consumers } }, world.dir)
  const broker = new Broker({ settings, backend: createSandboxBackend(), logger: silent })
  await broker.start()
  const socket = await connect(broker.addresses.tcp!.port, world.key)
  const attached = await socket.request({ '@type': 'broker.attachSession', session: world.botSession })
  if (attached['@type'] !== 'broker.attached') throw new Error(`attach: ${JSON.stringify(attached)}`)
  const running: Running = {
    broker, port: broker.addresses.bot_api!.port, socket, received: () => {},
    stop: async () => { socket.close(); running.hooks?.close(); running.hooks?.closeAllConnections(); await broker.stop('bench over') }
  }
  if (webhook) {
    running.hooks = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        res.writeHead(200, { 'content-length': 0 }).end()
        running.received(Number((req.url ?? '/0').slice(1)), JSON.parse(Buffer.concat(chunks).toString('utf8')) as Msg)
      })
    })
    await new Promise<void>(resolve => { running.hooks!.listen(0, '127.0.0.1', resolve) })
    const hookPort = (running.hooks.address() as AddressInfo).port
    for (let i = 0; i < count; i++) {
      const answer = await agentCall(running.port, world.tokens[i] as string)('setWebhook', JSON.stringify({ url: `http://127.0.0.1:${hookPort}/${i}`, drop_pending_updates: true }))
      if (answer.ok !== true) throw new Error(`setWebhook: ${JSON.stringify(answer)}`)
    }
  }
  return running
}

interface Alice { client: BenchClient, session: string, chatId: number, close(): void }

async function loginAlice (running: Running): Promise<Alice> {
  const client = running.socket
  const session = await createSession(client)
  await waitState(client, session, 'authorizationStateWaitPhoneNumber', { '@type': 'setAuthenticationPhoneNumber', phone_number: ALICE.phone })
  await waitState(client, session, 'authorizationStateWaitCode', { '@type': 'checkAuthenticationCode', code: ALICE.code })
  await waitState(client, session, 'authorizationStateReady')
  const chat = await client.request({ '@type': 'searchPublicChat', username: BOT.username, '@session': session })
  if (chat['@type'] !== 'chat') throw new Error(`searchPublicChat: ${JSON.stringify(chat)}`)
  return { client, session, chatId: Number(chat.id), close: () => {} }
}

/** Messages from Alice, one at a time; each consumer's receipt time minus the send time, in ms. */
async function latency (running: Running, world: World, alice: Alice, count: number, webhook: boolean, messages: number): Promise<{ p50: number, p99: number }> {
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
  running.received = (_i, update) => { got(update) }
  const stopPolling = new AbortController()
  const loops: Array<Promise<void>> = []
  if (!webhook) {
    // Each token's first check (scrypt, one at a time per address) is made before the clock runs.
    for (let i = 0; i < count; i++) await agentCall(running.port, world.tokens[i] as string)('getUpdates', JSON.stringify({ offset: -1 }))
    for (let i = 0; i < count; i++) {
      const call = agentCall(running.port, world.tokens[i] as string, stopPolling.signal)
      loops.push((async () => {
        let offset = -1
        while (!stopPolling.signal.aborted) {
          const answer = await call('getUpdates', JSON.stringify({ offset, timeout: 30 })).catch((e: Error): Msg => ({ ok: false, description: e.message }))
          if (answer.ok !== true) {
            if (stopPolling.signal.aborted) break
            throw new Error(`consumer ${i}: getUpdates answered ${JSON.stringify(answer)}`)
          }
          const updates = answer.result as Msg[]
          for (const u of updates) { got(u); offset = Number(u.update_id) + 1 }
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
      await alice.client.request({ '@type': 'sendMessage', '@session': alice.session, chat_id: alice.chatId, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: current, entities: [] } } })
      await all
    }
  } finally {
    stopPolling.abort()
    await Promise.all(loops)
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

const agents = new Map<number, http.Agent>()

/** A Bot API caller over a keep-alive agent: POST JSON, resolves with the parsed answer. */
function agentCall (port: number, token: string, signal?: AbortSignal): (method: string, body: string) => Promise<Msg> {
  let agent = agents.get(port)
  if (agent === undefined) agents.set(port, agent = new http.Agent({ keepAlive: true, maxSockets: 256 }))
  const a = agent
  return async (method, body) => await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/bot${token}/${method}`, method: 'POST', agent: a, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, ...(signal === undefined ? {} : { signal }) }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Msg) } catch (e) { reject(e) } })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

function expectMessage (m: Msg): void {
  if (m['@type'] !== 'message') throw new Error(`sendMessage over the socket: ${JSON.stringify(m)}`)
}

/** Runs `total` calls, IN_FLIGHT at a time. */
async function concurrently (total: number, call: () => Promise<void>): Promise<void> {
  let started = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (started < total) {
      started++
      await call()
    }
  }))
}

async function perSecond (total: number, call: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint()
  await concurrently(total, call)
  return total / (Number(process.hrtime.bigint() - start) / 1e9)
}

async function connect (port: number, key: string): Promise<BenchClient> {
  const c = await BenchClient.connect('tcp', { ports: { tcp: port } })
  const answer = await c.request({ '@type': 'broker.authenticate', name: 'bench', key })
  if (answer['@type'] !== 'broker.authenticated') throw new Error(`authenticate: ${JSON.stringify(answer)}`)
  return c
}

/** Sends `request` (when given) once the session is in `state`; resolves when it is. */
async function waitState (c: BenchClient, session: string, state: string, request?: Msg): Promise<void> {
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

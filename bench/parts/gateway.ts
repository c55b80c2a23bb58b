/**
 * 7. The Bot API gateway, on the sandbox. The broker runs in a process of
 * its own as `tdbroker start` builds it (bench/child/broker.ts); every
 * client, HTTP and socket alike, runs in a second process
 * (bench/child/gateway-clients.ts), so a hundred consumers' HTTP loops do not
 * compete with the broker's event loop, and both sides of each comparison
 * pay for the same client process.
 * The HTTP clients are lean (one keep-alive connection each, the request
 * written by hand), as the socket's BenchClient is.
 * - sendMessage requests/s over HTTP keep-alive (JSON bodies, 16 in flight)
 *   against the same sends through the TDLib JSON socket (16 in flight), in
 *   interleaved rounds; the ratio per round, median and range. The Bot API's
 *   sendMessage answers with the sent message, after TDLib's
 *   updateMessageSendSucceeded: the socket is measured both to that update
 *   (the same work; the target's ratio) and to TDLib's first answer. The
 *   socket client is attached to the bot's session only while the socket
 *   paths run: an HTTP send does not pay for a socket client's copy of every
 *   update of the bot (until 2026-12-03 it did, which cost the HTTP side
 *   about a quarter of its broker CPU per send).
 * - delivery latency from a customer's message (Alice, sendMessage over the
 *   socket) to 1, 10 and 100 consumers, by long polling (each consumer one
 *   getUpdates loop) and by webhook (a local HTTP server answering 200), p50
 *   and p99 over every delivery, median and range over repeats.
 */
import net from 'node:net'
import { hashClientKey, newClientKey } from '../../src/clients/key-hash.js'
import { newBotToken } from '../../src/gateway/tokens.js'
import { BenchClient, createSession, waitState, type Msg } from '../lib/client.js'
import { Child } from '../lib/child.js'
import { loadAverage } from '../lib/machine.js'
import { profileFlags, type BenchOptions } from '../lib/options.js'
import { fmt, table, type PartReport, type Target } from '../lib/report-types.js'
import { Repeats, spread, type Spread } from '../lib/stats.js'
import { removeFolder, tempFolder } from '../lib/temp.js'

const BOT = { id: 7000002, username: 'inline_sandbox_bot', token: '7000002:sandbox-inline-bot-token' }
const CONSUMERS = [1, 10, 100] as const
/**
 * BENCH_GATEWAY=latency skips the sendMessage comparison; BENCH_GATEWAY_CONSUMERS=100
 * (a list) and BENCH_GATEWAY_MODES=poll|webhook measure only those latencies (profiling,
 * A/B runs of one figure). Unset: everything.
 */
const ONLY = process.env.BENCH_GATEWAY ?? ''
const COUNTS: readonly number[] = (process.env.BENCH_GATEWAY_CONSUMERS ?? '').split(',').filter(s => s !== '').map(Number)
const MODES: readonly string[] = (process.env.BENCH_GATEWAY_MODES ?? '').split(',').filter(s => s !== '')
const IN_FLIGHT = 16
/** Unmeasured sends of each path before the rounds (with 200 the first round still ran at half speed: code not yet optimised). */
const WARM_UP_SENDS = 1000
/** Low scrypt cost for the bench's own tokens and keys (start-up time only; checked tokens are cached). */
const SCRYPT = { N: 1024, r: 8, p: 1 }
const REQUESTS = ['getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationBotToken',
  'getMe', 'getUser', 'getChat', 'getSupergroup', 'getMessage', 'searchPublicChat', 'sendMessage']
const UPDATES = ['updateAuthorizationState', 'updateNewMessage', 'updateMessageEdited', 'updateNewCallbackQuery', 'updateUser', 'updateNewChat', 'updateMessageSendSucceeded']
const SOCKET_PATHS = ['socket-final', 'socket-first'] as const

interface World { dir: string, botSession: string, tokens: string[], key: string, keyHash: string }

export async function runGateway (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const rounds = Math.max(3, options.repeats)
  const sends = options.quick ? 500 : 3000
  const messages = options.quick ? 30 : 150
  const world = await prepareWorld(Math.max(...CONSUMERS))
  const r = new Repeats()
  const clients = new Child('gateway clients', new URL('../child/gateway-clients.js', import.meta.url))
  try {
    // Throughput: one broker with one consumer.
    if (ONLY !== 'latency') {
      const one = await startGateway(world, 1, 'throughput')
      const floor = new Child('node:http floor', new URL('../child/http-floor.js', import.meta.url), { execArgv: profileFlags('http-floor') })
      try {
        const token = world.tokens[0] as string
        await clients.call('connect', { tcp: one.tcp, http: one.http, key: world.key, botSession: world.botSession, token })
        /**
         * Sends/s of one path; the serving process's and the clients' CPU per send (µs) are kept as
         * `<path>-cpu-broker` and `<path>-cpu-clients` (for http-floor the serving process is the floor server).
         */
        let floorPort = 0
        const send = async (path: string, total: number, warmUp = false): Promise<number> => {
          const server = path === 'http-floor' ? floor : one.child
          const [serving, own] = [await server.cpuMicros(), await clients.cpuMicros()]
          const rate = await clients.call<number>('send', { path, total, inFlight: IN_FLIGHT, token, floorPort })
          if (!warmUp) r.add(`${path}-cpu-broker`, (await server.cpuMicros() - serving) / total)
          if (!warmUp) r.add(`${path}-cpu-clients`, (await clients.cpuMicros() - own) / total)
          return rate
        }
        // Warm-up of every path; the floor server answers with the bytes of the gateway's answer.
        await send('http', WARM_UP_SENDS, true)
        floorPort = await floor.call<number>('start', { answer: await clients.call<string>('lastAnswer') })
        for (const path of [...SOCKET_PATHS, 'http-floor']) await send(path, WARM_UP_SENDS, true)
        for (let round = 0; round < rounds; round++) {
          const h = await send('http', sends)
          r.add('http', h)
          const line = [`HTTP ${h.toFixed(0)}/s`]
          for (const path of SOCKET_PATHS) {
            const s = await send(path, sends)
            r.add(path, s)
            r.add(`ratio-${path}`, h / s)
            line.push(`${path} ${s.toFixed(0)}/s (ratio ${(h / s).toFixed(2)})`)
          }
          const f = await send('http-floor', sends)
          r.add('http-floor', f)
          line.push(`node:http floor ${f.toFixed(0)}/s`)
          // CPU per send of this round, serving process/clients.
          const last = (name: string): number => { const runs = r.get(name).runs; return Math.round(runs[runs.length - 1] ?? 0) }
          // What the broker spends on an HTTP send beyond the socket's, less what node:http alone spends: the gateway's own.
          r.add('gateway-own', last('http-cpu-broker') - last('socket-final-cpu-broker') - last('http-floor-cpu-broker'))
          // The same comparison in the broker's CPU per send rather than in sends/s (which the round trip bounds too).
          r.add('cpu-ratio', last('socket-final-cpu-broker') / last('http-cpu-broker'))
          line.push(`CPU µs/send serving/clients: ${['http', ...SOCKET_PATHS, 'http-floor'].map(p => `${p} ${last(`${p}-cpu-broker`)}/${last(`${p}-cpu-clients`)}`).join(', ')}`)
          log(`   round ${round + 1}: ${line.join(', ')}, load ${loadAverage().toFixed(2)}`)
        }
        await clients.call('close')
      } finally {
        await floor.stop()
        await one.stop()
      }
    }
    // Latency: a broker per consumer count and mode.
    for (const webhook of [false, true]) {
      const mode = webhook ? 'webhook' : 'poll'
      if (MODES.length > 0 && !MODES.includes(mode)) continue
      for (const count of CONSUMERS) {
        if (COUNTS.length > 0 && !COUNTS.includes(count)) continue
        const running = await startGateway(world, count, `${mode}-${count}`)
        try {
          const tokens = world.tokens.slice(0, count)
          await clients.call('connect', { tcp: running.tcp, http: running.http, key: world.key, botSession: world.botSession })
          // setWebhook checks each token too.
          await clients.call(webhook ? 'webhooks' : 'warm', { tokens })
          for (let round = 0; round < rounds; round++) {
            const [broker, own] = [await running.child.cpuMicros(), await clients.cpuMicros()]
            const { p50, p99 } = await clients.call<{ p50: number, p99: number }>('latency', { tokens, webhook, messages })
            r.add(`${mode}-${count}-p50`, p50)
            r.add(`${mode}-${count}-p99`, p99)
            // CPU per delivery (message and consumer), the five warm-up messages included.
            r.add(`${mode}-${count}-cpu-broker`, (await running.child.cpuMicros() - broker) / ((messages + 5) * count))
            r.add(`${mode}-${count}-cpu-clients`, (await clients.cpuMicros() - own) / ((messages + 5) * count))
          }
          log(`   ${webhook ? 'webhook' : 'long polling'}, ${count} consumers: p50 ${fmt(r.get(`${mode}-${count}-p50`), 2)} ms, p99 ${fmt(r.get(`${mode}-${count}-p99`), 2)} ms, ` +
            `CPU µs/delivery broker ${fmt(r.get(`${mode}-${count}-cpu-broker`), 0)}, clients ${fmt(r.get(`${mode}-${count}-cpu-clients`), 0)}, load ${loadAverage().toFixed(2)}`)
          await clients.call('close')
        } finally {
          await running.stop()
        }
      }
    }
  } finally {
    await clients.stop()
    removeFolder(world.dir)
  }
  // A partial run (BENCH_GATEWAY*) reports n/a for what it did not measure.
  const get = (name: string): Spread => r.has(name) ? r.get(name) : spread([])
  const ratio = get('ratio-socket-final')
  const targets: Target[] = [
    { name: 'Bot API sendMessage over HTTP keep-alive at least 0.8x the TDLib JSON socket (both until the sent message)', measured: `${fmt(ratio, 2)}x (the broker's CPU per send, socket / HTTP: ${fmt(get('cpu-ratio'), 2)}x)`, pass: ratio.median >= 0.8 },
    ...(['poll', 'webhook'] as const).map(mode => {
      const p99 = get(`${mode}-100-p99`)
      return { name: `Bot API delivery p99 under 20 ms at 100 consumers (${mode === 'poll' ? 'long polling' : 'webhook'})`, measured: `${fmt(p99, 2)} ms`, pass: p99.median < 20 }
    })
  ]
  const markdown = [
    '## Bot API gateway',
    '',
    'Sandbox backend. The broker runs in a process of its own, as `tdbroker start` builds it; every client (the HTTP consumers and senders, the ' +
    'TDLib JSON socket client, the webhook server) runs in a second process. The HTTP clients are lean keep-alive connections (the request written by hand, ' +
    'the answer read by its content-length and parsed with JSON.parse), as the socket client is lean; the CPU columns show what each side cost. ' +
    `sendMessage: ${sends} sends per round and path, ${IN_FLIGHT} in flight, ${rounds} interleaved rounds. The Bot API's sendMessage answers with the sent ` +
    'message, after TDLib\'s `updateMessageSendSucceeded`; the socket is measured to that update (the same work: the target\'s ratio) and, for comparison, ' +
    'to TDLib\'s first answer (the temporary message). The socket client is attached to the bot\'s session only during the socket paths, so that ' +
    'an HTTP send does not pay for a socket client\'s copy of every update of the bot (Alice\'s session, the customer\'s, stays attached on every path). ' +
    `Latency: ${messages} customer messages per repeat, one at a time, from Alice's sendMessage over the socket until each consumer has the update (long polling: a getUpdates loop per consumer; webhook: a local HTTP server). CPU per delivery: the broker process's (every thread), per message and consumer, the sandbox's handling of Alice's send included. Median (min–max) over ${rounds} repeats.`,
    '',
    table(['sendMessage', 'requests/s', 'HTTP / this', 'broker CPU µs/send', 'clients CPU µs/send'], [
      ['HTTP keep-alive (Bot API), until the sent message', fmt(get('http'), 0), '', fmt(get('http-cpu-broker'), 0), fmt(get('http-cpu-clients'), 0)],
      ['TDLib JSON socket, until updateMessageSendSucceeded', fmt(get('socket-final'), 0), `${fmt(ratio, 2)}x`, fmt(get('socket-final-cpu-broker'), 0), fmt(get('socket-final-cpu-clients'), 0)],
      ['TDLib JSON socket, until TDLib\'s first answer', fmt(get('socket-first'), 0), `${fmt(get('ratio-socket-first'), 2)}x`, fmt(get('socket-first-cpu-broker'), 0), fmt(get('socket-first-cpu-clients'), 0)],
      ['floor: node:http alone, a fixed answer of the same bytes (server CPU in the broker column)', fmt(get('http-floor'), 0), '', fmt(get('http-floor-cpu-broker'), 0), fmt(get('http-floor-cpu-clients'), 0)]
    ]),
    '',
    'The floor is a node:http server in a process of its own that parses each request and its JSON body and writes a fixed answer, nothing else ' +
    '(bench/child/http-floor.ts), driven by the same clients with the same requests in the same rounds: what any Bot API front built on node:http ' +
    'spends per call on this machine before doing any work. The broker CPU an HTTP send costs beyond a socket send, less the floor, is the ' +
    `rest: the gateway's own work (parameters, scope, waiting for the sent message, the Bot API message) and what node:http's objects cost ` +
    `in the broker's larger heap: ${fmt(get('gateway-own'), 0)} µs per send, per round. ` +
    'The requests/s ratio is not a CPU ratio: with 16 in flight a path\'s rate is bounded by its round trip as well as by CPU (a socket send ' +
    'ends when the client has read the final update, a second line after the answer), so the same comparison in the broker\'s CPU per send, ' +
    `socket / HTTP, is given per round beside it: ${fmt(get('cpu-ratio'), 2)}.`,
    '',
    table(['consumers', 'long polling p50 (ms)', 'long polling p99 (ms)', 'webhook p50 (ms)', 'webhook p99 (ms)', 'broker CPU µs/delivery, polling', 'broker CPU µs/delivery, webhook'], CONSUMERS.map(n => [
      String(n), fmt(get(`poll-${n}-p50`), 2), fmt(get(`poll-${n}-p99`), 2), fmt(get(`webhook-${n}-p50`), 2), fmt(get(`webhook-${n}-p99`), 2),
      fmt(get(`poll-${n}-cpu-broker`), 0), fmt(get(`webhook-${n}-cpu-broker`), 0)
    ]))
  ].join('\n')
  return {
    part: 'gateway',
    markdown,
    targets,
    charts: [{
      title: 'Bot API delivery p99',
      unit: 'ms',
      groups: CONSUMERS.map(n => ({ label: `${n} consumers`, bars: [{ series: 'long polling', value: get(`poll-${n}-p99`) }, { series: 'webhook', value: get(`webhook-${n}-p99`) }] }))
    }]
  }
}

function baseSettings (world: Pick<World, 'keyHash'>): Record<string, unknown> {
  return {
    host: '127.0.0.1', port: 0, terminate_delay: 0,
    // As bench/lib/broker-process.ts runs the broker: its log level and file; every client comes from 127.0.0.1.
    debug_level: 4, logfile: 'broker.log', max_connections_per_address: 10000,
    tdlib: { api_id: 94575, api_hash: 'API_HASH', path: 'sessions', backend: 'sandbox' },
    allowed_requests: REQUESTS, allowed_updates: UPDATES,
    clients: [{ name: 'bench', key_hash: world.keyHash, scope: {} }]
  }
}

interface Running { child: Child, tcp: number, http: number, stop(): Promise<void> }

/** A broker process in the world's folder (sessions persist between them, as across restarts). */
async function startBroker (world: Pick<World, 'dir' | 'keyHash'>, settings: Record<string, unknown>, label: string): Promise<Running> {
  const child = new Child(`broker (gateway ${label})`, new URL('../child/broker.js', import.meta.url), { execArgv: profileFlags(`broker-gateway-${label}`) })
  try {
    const started = await child.call<{ tcp: number }>('start', { settings: { ...baseSettings(world), ...settings }, dir: world.dir })
    const http = ((settings.bot_api as Record<string, unknown> | undefined)?.port ?? 0) as number
    return { child, tcp: started.tcp, http, stop: async () => { await child.stop() } }
  } catch (e) {
    await child.stop()
    throw e
  }
}

/** Logs the bot in once (a broker without the gateway) and makes the consumers' tokens. */
async function prepareWorld (consumers: number): Promise<World> {
  const dir = tempFolder()
  const key = newClientKey()
  const keyHash = await hashClientKey(key, SCRYPT)
  const broker = await startBroker({ dir, keyHash }, {}, 'setup')
  let botSession: string
  try {
    const c = await connect(broker.tcp, key)
    botSession = await createSession(c)
    await waitState(c, botSession, 'authorizationStateWaitPhoneNumber', { '@type': 'checkAuthenticationBotToken', token: BOT.token })
    await waitState(c, botSession, 'authorizationStateReady')
    c.close()
  } finally {
    await broker.stop()
  }
  const tokens = Array.from({ length: consumers }, () => newBotToken(BOT.id))
  return { dir, botSession, tokens, key, keyHash }
}

async function startGateway (world: World, count: number, label: string): Promise<Running> {
  const consumers = await Promise.all(world.tokens.slice(0, count).map(async (token, i) => ({
    name: `c${i}`, bot_id: BOT.id, session: world.botSession, client: 'bench', token_hash: await hashClientKey(token, SCRYPT),
    webhook_hosts: ['127.0.0.1'], webhook_allow_http: true
  })))
  // The broker child reports its TDLib ports only: the gateway gets a port found free here.
  return await startBroker(world, { bot_api: { host: '127.0.0.1', port: await freePort(), consumers } }, label)
}

async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as net.AddressInfo).port
  await new Promise(resolve => server.close(resolve))
  return port
}

async function connect (port: number, key: string): Promise<BenchClient> {
  const c = await BenchClient.connect('tcp', { ports: { tcp: port } })
  const answer = await c.request({ '@type': 'broker.authenticate', name: 'bench', key })
  if (answer['@type'] !== 'broker.authenticated') throw new Error(`authenticate: ${JSON.stringify(answer)}`)
  return c
}

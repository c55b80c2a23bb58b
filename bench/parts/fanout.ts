/**
 * 3. Update fan-out: one sandbox session (logged in as Alice) receives
 * messages that the emulated server injects from Bob; every message is two
 * updates (updateNewMessage, updateChatLastMessage) and each goes to 1, 10 or
 * 100 attached clients. Three processes: the broker with the sandbox and the
 * producer (the sandbox lives in the broker's process), the clients in a
 * second process so that reading the output does not take the broker's CPU,
 * and this one relaying the clients' progress back to the producer.
 */
import { BenchClient, createSession, type Msg } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { Child } from '../lib/child.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats } from '../lib/stats.js'
import type { FanoutPlan } from '../lib/ipc.js'
import { measureUpdatePath } from '../lib/update-path.js'

const CLIENTS = [1, 10, 100] as const
export const ALICE = { id: 1000001, phone: '15550001001', code: '12345' }
export const BOB = 1000002
const UPDATES_PER_MESSAGE = 2
/** Deliveries (update x client) in flight at most: bounds latency and every client's queue. */
const WINDOW_DELIVERIES = 4000
/**
 * Messages produced per event-loop turn, at most. The broker writes what a
 * turn produced at the end of the turn, so a large batch would show up as
 * latency that real TDLib (one update per turn) never causes.
 */
const MAX_BATCH = 32

interface RunResult { deliveries: number, seconds: number, p50: number, p99: number, max: number }

export async function runFanout (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const perRun = options.quick ? 40_000 : 300_000
  const broker = await startBrokerProcess({
    label: 'fanout',
    settings: {
      tdlib: { backend: 'sandbox' },
      terminate_delay: 3600,
      allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode'],
      allowed_updates: ['updateNewMessage', 'updateChatLastMessage']
    }
  })
  const clients = new Child('fan-out clients', new URL('../child/fanout-clients.js', import.meta.url))
  clients.onNotice('progress', (upTo: number) => { broker.child.notify('fanout.ack', upTo) })
  let index = 0
  try {
    const session = await loggedInSession(broker)
    const once = async (count: number, messages: number): Promise<RunResult> => {
      const window = Math.max(4, Math.ceil(WINDOW_DELIVERIES / (UPDATES_PER_MESSAGE * count)))
      const plan: FanoutPlan = { from: BOB, chat: ALICE.id, firstIndex: index, messages, window, batch: Math.min(MAX_BATCH, Math.max(1, Math.floor(window / 4))) }
      index += messages
      await clients.call('arm', { firstIndex: plan.firstIndex, messages, updatesPerMessage: UPDATES_PER_MESSAGE, ackEvery: Math.max(1, Math.floor(window / 8)) })
      const [result] = await Promise.all([clients.call<RunResult>('result'), broker.child.call('fanout.run', plan)])
      if (result.deliveries !== messages * UPDATES_PER_MESSAGE * count) {
        throw new Error(`fan-out to ${count}: expected ${messages * UPDATES_PER_MESSAGE * count} deliveries, counted ${result.deliveries}`)
      }
      return result
    }
    const r = new Repeats()
    for (const count of CLIENTS) {
      await clients.call('connect', { port: broker.ports.tcp, count, session })
      const messages = Math.max(50, Math.round(perRun / (UPDATES_PER_MESSAGE * count)))
      await once(count, Math.min(messages, 2000)) // warm-up
      for (let rep = 0; rep < options.repeats; rep++) {
        const res = await once(count, messages)
        r.add(`${count}.rate`, res.deliveries / res.seconds)
        r.add(`${count}.p50`, res.p50 / 1000)
        r.add(`${count}.p99`, res.p99 / 1000)
        log(`  fan-out to ${count} client(s), repeat ${rep + 1}: ${num(res.deliveries / res.seconds, 0)} deliveries/s, p50 ${num(res.p50 / 1000, 2)} ms, p99 ${num(res.p99 / 1000, 2)} ms`)
      }
      await clients.call('disconnect')
    }
    for (let rep = 0; rep < options.repeats; rep++) {
      const path = measureUpdatePath(options.quick ? 10_000 : 50_000)
      r.add('path.renaming', path.renaming)
      r.add('path.standIn', path.standIn)
    }
    const rate100 = r.get('100.rate')
    return {
      part: 'fanout',
      markdown: [
        '## 3. Update fan-out (sandbox session to attached clients)',
        '',
        'One sandbox session, logged in through the broker, receives messages that the emulated server injects (`injectMessages`, as another user ' +
        'sending them); every message becomes two updates (`updateNewMessage`, `updateChatLastMessage`), and every update goes to each attached client. ' +
        `Each run delivers about ${perRun.toLocaleString('en-US')} updates in total; ${options.repeats} repeats per client count after a warm-up run. ` +
        `The producer keeps at most ${WINDOW_DELIVERIES.toLocaleString('en-US')} deliveries in flight (messages produced but not yet seen by every client), ` +
        `produces at most ${MAX_BATCH} messages per event-loop turn, so the ` +
        'figures are the broker\'s sustained rate, not how fast it can fill socket buffers. Latency: from the moment the message is produced ' +
        '(`process.hrtime`, embedded in the text) to the moment the client process reads the line (the same monotonic clock), so under this load it includes ' +
        'the time an update waits behind the window.',
        '',
        'Why three processes: the sandbox lives in the broker\'s process, so production runs there (its cost, once per message, counts against the broker, as a real ' +
        'TDLib\'s JSON parsing would). The clients run in a second process: reading 100 sockets at this rate is a core\'s worth of work that would otherwise be ' +
        'charged to the broker\'s event loop. On 2 cores this gives the broker one core and the clients the other; clients that do more than count ' +
        '(parse each update as JSON) would be slower than the broker, so the client side reads only the marker in each line.',
        '',
        table(['clients', 'deliveries/s', 'latency p50 ms', 'latency p99 ms'], CLIENTS.map(count => [
          String(count), fmt(r.get(`${count}.rate`), 0), fmt(r.get(`${count}.p50`), 2), fmt(r.get(`${count}.p99`), 2)
        ])),
        '',
        'The sandbox hands the broker its updates as objects; real TDLib hands them to tdl as JSON text, which tdl parses and renames before the ' +
        'broker sees them. That part of the path, per update, in-process (CPU time per update of a 1.2 KB `updateNewMessage`: tdl\'s `JSON.parse` ' +
        'and dispatch, the backend\'s conversion, the broker\'s serialisation; bench/lib/update-path.ts), with tdl renaming `@type` to `_` and the backend ' +
        'renaming it back, and with the backend\'s `skipRenaming` (src/tdlib/tdl-backend.ts):',
        '',
        table(['real TDLib receive path', 'CPU µs per update'], [
          ['tdl renames, the backend renames back (before)', fmt(r.get('path.renaming'), 2)],
          ['TDLib\'s object passed through untouched (now)', fmt(r.get('path.standIn'), 2)]
        ])
      ].join('\n'),
      targets: [{
        name: 'fan-out ≥ 200,000 deliveries/s to 100 clients',
        measured: `${num(rate100.median, 0)} deliveries/s (min ${num(rate100.min, 0)}, max ${num(rate100.max, 0)}), p99 latency ${num(r.get('100.p99').median, 2)} ms`,
        pass: rate100.median >= 200_000
      }],
      charts: [{
        title: 'Fan-out (deliveries/s, higher is better)',
        unit: 'deliveries/s',
        groups: CLIENTS.map(count => ({ label: `${count} client${count > 1 ? 's' : ''}`, bars: [{ series: 'broker, plain TCP', value: r.get(`${count}.rate`) }] }))
      }]
    }
  } finally {
    await clients.stop()
    await broker.stop()
  }
}

/** Creates a session and logs it in as Alice through the broker; the control client then detaches. */
async function loggedInSession (broker: { ports: { tcp: number } }): Promise<string> {
  const control = await BenchClient.connect('tcp', broker)
  try {
    const session = await loginAlice(control)
    await expectOk(control.request({ '@type': 'broker.detachSession', session }), 'broker.detached')
    return session
  } finally {
    control.close()
  }
}

/**
 * Creates a sandbox session on `client` (which stays attached) and logs it
 * in as Alice; resolves with the session id once it is ready.
 */
export async function loginAlice (client: BenchClient): Promise<string> {
  const states: string[] = []
  const waiters: Array<[string, () => void]> = []
  client.onMessage = (m: Msg) => {
    if (m['@type'] !== 'updateAuthorizationState') return
    const state = (m.authorization_state as Msg)['@type'] as string
    states.push(state)
    for (const w of waiters.filter(w => w[0] === state)) w[1]()
  }
  const reach = async (state: string): Promise<void> => {
    if (states.includes(state)) return
    await new Promise<void>(resolve => { waiters.push([state, resolve]) })
  }
  const session = await createSession(client)
  await reach('authorizationStateWaitPhoneNumber')
  await expectOk(client.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: ALICE.phone, '@session': session }))
  await reach('authorizationStateWaitCode')
  await expectOk(client.request({ '@type': 'checkAuthenticationCode', code: ALICE.code, '@session': session }))
  await reach('authorizationStateReady')
  client.onMessage = () => {}
  return session
}

async function expectOk (answer: Promise<Msg>, type = 'ok'): Promise<void> {
  const m = await answer
  if (m['@type'] !== type) throw new Error(`expected ${type}, got ${JSON.stringify(m)}`)
}

/**
 * 3. Update fan-out: one sandbox session (logged in as Alice) receives
 * messages from Bob, and every updateNewMessage goes to each of 1, 10 or 100
 * attached clients. Two ways to make the messages, in alternating order
 * within every round:
 * - real sender: a second session, logged in as Bob through the broker, sends
 *   sendMessage over a socket from this process; the sandbox (in the broker's
 *   process) delivers it to Alice's session as TDLib would;
 * - in-process injection: the emulated server injects the messages inside the
 *   broker's process (child/broker.ts `fanout.run`), no request at all.
 * The clients read in a second process, so reading does not take the
 * broker's CPU; this process relays their progress to whoever produces.
 * At 100 clients, beside the paced sender, the floor (child/fanout-floor.ts):
 * the same lines written to the same clients at the same pace by a process
 * that does nothing else, in the same rounds.
 */
import { BenchClient, createSession, type Msg } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { Child } from '../lib/child.js'
import { loadAverage } from '../lib/machine.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats } from '../lib/stats.js'
import { FANOUT_MARKER, type FanoutPlan, type FloorPlan } from '../lib/ipc.js'
import { Pace } from '../lib/pace.js'
import { measureUpdatePath } from '../lib/update-path.js'

const CLIENTS = [1, 10, 100] as const
/**
 * BENCH_FANOUT=paced runs only the paced sender and its floor at 100 clients
 * (to profile or compare that path without the saturated runs' work); such a
 * run prints its rounds and writes no report tables.
 */
const PACED_ONLY = pacedOnly(process.env.BENCH_FANOUT)
export const ALICE = { id: 1000001, phone: '15550001001', code: '12345' }
export const BOB = 1000002
const BOB_LOGIN = { phone: '15550001002', code: '12345', password: 'sandbox' }
/** Only updateNewMessage reaches the clients (allowed_updates): one delivery per message per client. */
const UPDATES_PER_MESSAGE = 1
/** Deliveries (update x client) in flight at most: bounds latency and every client's queue. */
const WINDOW_DELIVERIES = 4000
/**
 * Messages produced per event-loop turn, at most. The broker writes what a
 * turn produced at the end of the turn, so a large batch would show up as
 * latency that real TDLib (one update per turn) never causes.
 */
const MAX_BATCH = 32

const MODES = ['send', 'inject'] as const
type Mode = typeof MODES[number] | 'paced' | 'floor'
/** What runs at 100 clients, in this order (reversed every other round). */
const MODES_AT_100: readonly Mode[] = [...MODES, 'paced', 'floor']
const LABEL: Record<Mode, string> = {
  send: 'real sender (sendMessage from a second session)',
  inject: 'in-process injection (no sender)',
  paced: 'real sender, paced at 400,000 deliveries/s',
  floor: 'floor: the same lines at the same pace from a process doing nothing else'
}
/** The target's rate: at 100 clients the paced sender offers 4,000 messages a second. */
const PACED_DELIVERIES_PER_S = 400_000
/** The paced run's cap on deliveries in flight: only reached when the broker falls behind the pace. */
const PACED_WINDOW_DELIVERIES = 20_000
/** How often the paced sender looks at the clock (ms); each look sends what the pace says is due. */
const PACE_TICK_MS = 1

interface RunResult { deliveries: number, seconds: number, p50: number, p99: number, max: number, bytes: number, reads: number }

export async function runFanout (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const perRun = options.quick ? 20_000 : 150_000
  const maxSends = options.quick ? 500 : 1500
  const broker = await startBrokerProcess({
    label: 'fanout',
    settings: {
      tdlib: { backend: 'sandbox' },
      terminate_delay: 3600,
      allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'searchPublicChat', 'sendMessage'],
      allowed_updates: ['updateNewMessage']
    }
  })
  const clients = new Child('fan-out clients', new URL('../child/fanout-clients.js', import.meta.url))
  const floor = new Child('fan-out floor', new URL('../child/fanout-floor.js', import.meta.url))
  let onProgress: (upTo: number) => void = () => {}
  clients.onNotice('progress', (upTo: number) => { onProgress(upTo) })
  const sender = await BenchClient.connect('tcp', broker)
  let index = 0
  try {
    const session = await loggedInSession(broker)
    const bob = await loginAs(sender, BOB_LOGIN)
    const chat = await sender.request({ '@type': 'searchPublicChat', username: 'alice', '@session': bob })
    if (chat['@type'] !== 'chat' || chat.id !== ALICE.id) throw new Error(`Bob cannot see Alice's chat: ${JSON.stringify(chat)}`)
    const floorPort = await floor.call<number>('start')
    /** Which server the clients are attached to; switched only when a run needs the other. */
    let attachedTo: 'broker' | 'floor' | undefined
    const attachTo = async (target: 'broker' | 'floor', count: number): Promise<void> => {
      if (attachedTo === target) return
      if (attachedTo !== undefined) await clients.call('disconnect')
      await clients.call('connect', { port: target === 'floor' ? floorPort : broker.ports.tcp, count, session })
      attachedTo = target
    }
    const once = async (mode: Mode, count: number, messages: number): Promise<RunResult & { cpu: number }> => {
      const pace = isPaced(mode) ? PACED_DELIVERIES_PER_S / (UPDATES_PER_MESSAGE * count) : undefined
      const window = Math.max(4, Math.ceil((pace !== undefined ? PACED_WINDOW_DELIVERIES : WINDOW_DELIVERIES) / (UPDATES_PER_MESSAGE * count)))
      const plan: FanoutPlan = { from: BOB, chat: ALICE.id, firstIndex: index, messages, window, batch: Math.min(MAX_BATCH, Math.max(1, Math.floor(window / 4))) }
      index += messages
      await attachTo(mode === 'floor' ? 'floor' : 'broker', count)
      await clients.call('arm', { firstIndex: plan.firstIndex, messages, updatesPerMessage: UPDATES_PER_MESSAGE, ackEvery: Math.max(1, Math.floor(window / 8)) })
      const measured = mode === 'floor' ? floor : broker.child
      const cpuStart = await measured.cpuMicros()
      const produced = mode === 'inject'
        ? (onProgress = upTo => { broker.child.notify('fanout.ack', upTo) }, broker.child.call('fanout.run', plan))
        : mode === 'floor'
          ? (onProgress = () => {}, floor.call('paced', floorPlan(plan, pace!, await clients.call<string | null>('sample'))))
          : send(sender, bob, plan, handler => { onProgress = handler }, pace)
      const [result] = await Promise.all([clients.call<RunResult>('result'), produced])
      const cpu = await measured.cpuMicros() - cpuStart
      if (result.deliveries !== messages * UPDATES_PER_MESSAGE * count) {
        throw new Error(`fan-out (${mode}) to ${count}: expected ${messages * UPDATES_PER_MESSAGE * count} deliveries, counted ${result.deliveries}`)
      }
      return { ...result, cpu: cpu / result.deliveries }
    }
    const r = new Repeats()
    for (const count of PACED_ONLY ? [100] : CLIENTS) {
      await attachTo('broker', count)
      const messages: Record<typeof MODES[number], number> = {
        inject: Math.max(50, Math.round(perRun / (UPDATES_PER_MESSAGE * count))),
        send: Math.min(maxSends, Math.max(50, Math.round(perRun / (UPDATES_PER_MESSAGE * count))))
      }
      // At 100 clients the paced sender and its floor too: the target's latency is at its rate, not at saturation (where a message waits behind the whole window).
      const modes: Mode[] = PACED_ONLY ? ['paced', 'floor'] : count === 100 ? [...MODES_AT_100] : [...MODES]
      const pacedMessages = options.quick ? 1000 : 4000
      const runLength = (mode: Mode): number => isPaced(mode) ? pacedMessages : messages[mode]
      // Warm-up: a paced run as long as a measured one (after 1,000 messages the first measured round still took the most CPU per delivery: 2.0 against 1.5-1.7 µs in three runs).
      for (const mode of modes) await once(mode, count, isPaced(mode) ? pacedMessages : Math.min(runLength(mode), 1000))
      for (let round = 0; round < options.repeats; round++) {
        r.add(`${count}.load`, loadAverage())
        const rates: Partial<Record<Mode, number>> = {}
        for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
          const res = await once(mode, count, runLength(mode))
          rates[mode] = res.deliveries / res.seconds
          r.add(`${count}.${mode}.rate`, rates[mode])
          r.add(`${count}.${mode}.p50`, res.p50 / 1000)
          r.add(`${count}.${mode}.p99`, res.p99 / 1000)
          r.add(`${count}.${mode}.cpu`, res.cpu)
          r.add(`${count}.${mode}.bytes`, res.bytes / res.deliveries)
          r.add(`${count}.${mode}.perRead`, res.deliveries / res.reads)
          log(`  fan-out to ${count} client(s), round ${round + 1}, ${mode}: ${num(rates[mode], 0)} deliveries/s, p50 ${num(res.p50 / 1000, 2)} ms, ` +
            `p99 ${num(res.p99 / 1000, 2)} ms, ${mode === 'floor' ? 'floor' : 'broker'} ${num(res.cpu, 2)} µs CPU per delivery, ${num(res.bytes / res.deliveries, 0)} bytes per delivery, ${num(res.deliveries / res.reads, 1)} per read (load ${num(loadAverage(), 2)})`)
        }
        if (!PACED_ONLY) r.add(`${count}.sendToInject`, rates.send! / rates.inject!)
      }
      await clients.call('disconnect')
      attachedTo = undefined
    }
    if (PACED_ONLY) {
      return { part: 'fanout', markdown: '(BENCH_FANOUT=paced: the paced sender and its floor only, no tables; the rounds are in the log above)', targets: [], charts: [], figures: r.all() }
    }
    for (let rep = 0; rep < Math.min(3, options.repeats); rep++) {
      const path = measureUpdatePath(options.quick ? 10_000 : 50_000)
      r.add('path.renaming', path.renaming)
      r.add('path.standIn', path.standIn)
    }
    const rate100 = r.get('100.send.rate')
    const pacedRate = r.get('100.paced.rate')
    const p99 = r.get('100.paced.p99')
    return {
      part: 'fanout',
      markdown: [
        '## 3. Update fan-out (a sandbox session to attached clients)',
        '',
        'One sandbox session, logged in as Alice through the broker, receives messages from Bob; every message reaches it as one `updateNewMessage` ' +
        '(`allowed_updates`), and the broker writes it to each attached client (1, 10 or 100 plain TCP connections, in a second process that only finds a marker ' +
        'in each line and counts). Two producers, in alternating order within every round:',
        '',
        '- **real sender**: a second session, logged in as Bob through the broker, sends `sendMessage` (a `formattedText`) over a TCP connection from the ' +
        'benchmark process; the sandbox, inside the broker\'s process, delivers the message to Alice\'s session as TDLib would. ' +
        `${maxSends.toLocaleString('en-US')} messages per run at most (at 100 clients, ${(maxSends * 100).toLocaleString('en-US')} deliveries).`,
        '- **in-process injection**: the emulated server injects the messages inside the broker\'s process (`injectMessages`), with no request at all; ' +
        `about ${perRun.toLocaleString('en-US')} deliveries per run. What it leaves out is what a sender costs: the request, its answer, the sender\'s own updates.`,
        '',
        `Both keep at most ${WINDOW_DELIVERIES.toLocaleString('en-US')} deliveries in flight (sent or injected, not yet read by every client) and produce at most ` +
        `${MAX_BATCH} messages per event-loop turn, so the figures are a sustained rate, not how fast socket buffers fill. ${options.repeats} rounds per client count after a ` +
        'warm-up run of each. Latency: from the moment the message is sent (or injected; `process.hrtime` embedded in its text) to the moment the client process reads ' +
        'the line (the same monotonic clock), so it includes the time a message waits behind the window. Deliveries/s: every client\'s updates over the time from the ' +
        'first send to the last read. CPU: the broker process\'s (every thread) per delivery, which for the real sender includes the sandbox handling `sendMessage`, and ' +
        'for the injection the injecting. Not included: the sandbox is not TDLib (real TDLib hands tdl JSON text to parse: the table after this one), and the clients ' +
        'do not parse the updates (a client that parses each one as JSON reads fewer per second than the broker writes; part 6).',
        '',
        `At 100 clients a third producer, the **paced sender**: the real sender offering ${PACED_DELIVERIES_PER_S.toLocaleString('en-US')} deliveries a second ` +
        `(${(PACED_DELIVERIES_PER_S / 100).toLocaleString('en-US')} messages a second, those due sent every ${PACE_TICK_MS} ms), ${(options.quick ? 1000 : 4000).toLocaleString('en-US')} messages per run. ` +
        'Its latency is taken from the moment the pace said a message was due, not from when it was sent, so a broker that falls behind the pace shows it as latency ' +
        `(and as a rate below the pace), not hidden by a sender that waits; it stops waiting only at ${PACED_WINDOW_DELIVERIES.toLocaleString('en-US')} deliveries in flight. ` +
        'The saturated rows above measure how much the broker delivers at most; their latency is mostly the time a message waits behind the window ' +
        `(${WINDOW_DELIVERIES.toLocaleString('en-US')} deliveries at a few hundred thousand a second is several milliseconds), so the target\'s latency is the paced row\'s.`,
        '',
        'And in the same rounds the paced sender\'s **floor** (bench/child/fanout-floor.ts): a process of its own that the same 100 clients attach to, and that writes ' +
        'the same lines (a copy of the broker\'s `updateNewMessage` line for such a message, each with its marker text; the bytes per delivery column shows the two alike) ' +
        'at the same pace, one write per client per tick, doing nothing else: no sender, no session, no JSON. It is what any fan-out from its own process costs on this ' +
        'machine (loopback TCP, the scheduler, the clients\' reads on the same two cores), so the broker\'s paced row less the floor\'s is the broker\'s own. ' +
        'Its CPU column is the floor process\'s.',
        '',
        table(['clients', 'producer', 'deliveries/s', 'latency p50 ms', 'latency p99 ms', 'broker CPU µs/delivery', 'bytes/delivery', 'deliveries per read', 'load average'], CLIENTS.flatMap(count => (count === 100 ? MODES_AT_100 : MODES).map(mode => [
          String(count), LABEL[mode], fmt(r.get(`${count}.${mode}.rate`), 0), fmt(r.get(`${count}.${mode}.p50`), 2), fmt(r.get(`${count}.${mode}.p99`), 2),
          fmt(r.get(`${count}.${mode}.cpu`), 2), fmt(r.get(`${count}.${mode}.bytes`), 0), fmt(r.get(`${count}.${mode}.perRead`), 1), fmt(r.get(`${count}.load`), 2)
        ]))),
        '',
        'The real sender\'s rate over the injection\'s, per round: ' + CLIENTS.map(count => `${count} client${count > 1 ? 's' : ''} ${fmt(r.get(`${count}.sendToInject`), 2)}`).join(', ') + '.',
        '',
        'Real TDLib hands its updates to tdl as JSON text, which tdl parses before the broker sees them; the sandbox hands over objects. That part of the path, ' +
        'per update, in-process (CPU time per update of a 1.2 KB `updateNewMessage`: tdl\'s `JSON.parse` and dispatch, the backend\'s conversion, the broker\'s ' +
        'serialisation; bench/lib/update-path.ts), with tdl renaming `@type` to `_` and the backend renaming it back, and with the backend\'s `skipRenaming` ' +
        '(src/tdlib/tdl-backend.ts):',
        '',
        table(['real TDLib receive path', 'CPU µs per update'], [
          ['tdl renames, the backend renames back', fmt(r.get('path.renaming'), 2)],
          ['TDLib\'s object passed through untouched (the backend now)', fmt(r.get('path.standIn'), 2)]
        ])
      ].join('\n'),
      targets: [{
        name: 'deliveries/s to 100 clients, real sender ≥ 400,000, p99 < 10 ms',
        before: '184,000–193,000',
        measured: `at most ${fmt(rate100, 0)} deliveries/s over ${options.repeats} rounds (saturated; p99 there ${fmt(r.get('100.send.p99'), 2)} ms, behind the window); ` +
          `paced at 400,000: ${fmt(pacedRate, 0)} delivered/s, p99 ${fmt(p99, 2)} ms (its floor, the same lines from a process doing nothing else: p99 ${fmt(r.get('100.floor.p99'), 2)} ms); ` +
          `in-process injection ${fmt(r.get('100.inject.rate'), 0)}; load ${fmt(r.get('100.load'), 2)}`,
        // Kept up with the pace (within 2 %: the first and last tick) and p99 under 10 ms at it.
        pass: rate100.median >= 400_000 && pacedRate.median >= 0.98 * PACED_DELIVERIES_PER_S && p99.median < 10
      }],
      charts: [{
        title: 'Fan-out (deliveries/s, higher is better)',
        unit: 'deliveries/s',
        groups: CLIENTS.map(count => ({
          label: `${count} client${count > 1 ? 's' : ''}`,
          bars: MODES.map(mode => ({ series: mode === 'send' ? 'broker, real sender' : 'broker, in-process injection', value: r.get(`${count}.${mode}.rate`) }))
        }))
      }],
      figures: r.all()
    }
  } finally {
    sender.close()
    await clients.stop()
    await floor.stop()
    await broker.stop()
  }
}

/** The paced sender and its floor keep to the target's pace; the other producers run saturated. */
function isPaced (mode: Mode): mode is 'paced' | 'floor' { return mode === 'paced' || mode === 'floor' }

function pacedOnly (env: string | undefined): boolean {
  if (env === undefined || env === '') return false
  if (env === 'paced') return true
  throw new Error(`BENCH_FANOUT: unknown value "${env}" (paced runs only the paced sender and its floor)`)
}

/**
 * The floor's run for `plan` at `pace` messages/s. Its lines are `sample`, a
 * line the clients read from the broker, with each message's marker text
 * (`<marker><index>:<ns>:`) put in place of the sample's.
 */
function floorPlan (plan: FanoutPlan, pace: number, sample: string | null): FloorPlan {
  if (sample === null) throw new Error('the floor copies a line the clients read from the broker, and they have read none')
  const at = sample.indexOf(FANOUT_MARKER)
  const colons = sample.indexOf(':', sample.indexOf(':', at + FANOUT_MARKER.length) + 1)
  if (at === -1 || colons === -1) throw new Error(`no marker text in the sample line ${sample.slice(0, 200)}`)
  return { firstIndex: plan.firstIndex, messages: plan.messages, pace, tickMs: PACE_TICK_MS, prefix: sample.slice(0, at), suffix: sample.slice(colons + 1) }
}

/**
 * Sends plan.messages messages from Bob's session, at most plan.window of
 * them not yet read by every client (the clients' progress comes through
 * `listen`) and plan.batch per event-loop turn; each text carries its index
 * and the hrtime it was sent at. Resolves once every client has read every
 * message and every sendMessage has been answered with a message.
 */
async function send (sender: BenchClient, session: string, plan: FanoutPlan, listen: (handler: (upTo: number) => void) => void, pace?: number): Promise<void> {
  let acked = plan.firstIndex
  const paced = pace === undefined ? undefined : new Pace(plan.firstIndex, pace)
  let wake: () => void = () => {}
  listen(upTo => {
    acked = Math.max(acked, upTo)
    wake()
  })
  const progressed = async (): Promise<void> => { await new Promise<void>(resolve => { wake = resolve }) }
  const answers: Array<Promise<Msg>> = []
  const end = plan.firstIndex + plan.messages
  for (let next = plan.firstIndex; next < end;) {
    if (next - acked >= plan.window) {
      await progressed()
      continue
    }
    const due = paced === undefined ? end : Math.min(end, paced.dueNow())
    for (let batch = 0; next < due && next - acked < plan.window && (paced !== undefined || batch < plan.batch); batch++) {
      const text = `${FANOUT_MARKER}${next}:${paced === undefined ? process.hrtime.bigint() : paced.dueAt(next)}:`
      answers.push(sender.request({
        '@type': 'sendMessage', chat_id: ALICE.id, '@session': session,
        input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text, entities: [] } }
      }))
      next++
    }
    if (paced === undefined) await new Promise<void>(resolve => { setImmediate(resolve) })
    else await new Promise<void>(resolve => { setTimeout(resolve, PACE_TICK_MS) })
  }
  while (acked < end) await progressed()
  for (const answer of await Promise.all(answers)) {
    if (answer['@type'] !== 'message') throw new Error(`sendMessage answered ${JSON.stringify(answer)}`)
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
  return await loginAs(client, ALICE)
}

/** Creates a sandbox session on `client` and logs it in (phone, code, 2FA password when given); resolves at authorizationStateReady. */
async function loginAs (client: BenchClient, user: { phone: string, code: string, password?: string }): Promise<string> {
  const states: string[] = []
  const waiters: Array<[string, () => void]> = []
  let session = ''
  const previous = client.onMessage
  client.onMessage = (m: Msg) => {
    if (m['@type'] !== 'updateAuthorizationState' || (session !== '' && m['@session'] !== session)) return
    const state = (m.authorization_state as Msg)['@type'] as string
    states.push(state)
    for (const w of waiters.filter(w => w[0] === state)) w[1]()
  }
  const reach = async (state: string): Promise<void> => {
    if (states.includes(state)) return
    await new Promise<void>(resolve => { waiters.push([state, resolve]) })
  }
  session = await createSession(client)
  await reach('authorizationStateWaitPhoneNumber')
  await expectOk(client.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: user.phone, '@session': session }))
  await reach('authorizationStateWaitCode')
  await expectOk(client.request({ '@type': 'checkAuthenticationCode', code: user.code, '@session': session }))
  if (user.password !== undefined) {
    await reach('authorizationStateWaitPassword')
    await expectOk(client.request({ '@type': 'checkAuthenticationPassword', password: user.password, '@session': session }))
  }
  await reach('authorizationStateReady')
  client.onMessage = previous
  return session
}

async function expectOk (answer: Promise<Msg>, type = 'ok'): Promise<void> {
  const m = await answer
  if (m['@type'] !== type) throw new Error(`expected ${type}, got ${JSON.stringify(m)}`)
}

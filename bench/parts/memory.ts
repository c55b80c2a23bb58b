/**
 * 4. Memory and cold start, on real TDLib with its network off (NETWORK_NONE):
 * - broker RSS with 0, 10, 100 and N sessions started, against a process
 *   running the same number of TDLib sessions directly through tdl: what the
 *   broker costs per session beyond TDLib's own;
 * - broker RSS per idle client (connected and attached to one session);
 * - session cold start: from the attach request to the session's first update,
 *   against tdl from creating the client to its first update after the parameters.
 */
import { join } from 'node:path'
import { BenchClient, type Endpoint, type Msg, type Transport } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { Child } from '../lib/child.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, percentile } from '../lib/stats.js'
import { removeFolder, tempFolder } from '../lib/temp.js'
import { BENCH_CREDENTIALS } from '../lib/direct.js'
import type { ProcessMemory } from '../lib/ipc.js'
import { settledMemory } from '../lib/settled-memory.js'

const MB = 1024 * 1024
const CONCURRENCY = 20
/** What an idle client adds to the serving process, in bytes: RSS, and JS heap in use. */
interface PerClient { rss: number, heap: number }
const NOISE = '; at or below zero, within the allocators\' noise at this count: not a measurement'

/** The broker of the session levels (bench/tools/session-heap.ts starts the same one in its own process). */
export const MEMORY_BROKER_SETTINGS: Readonly<Record<string, unknown>> = { tdlib: BENCH_CREDENTIALS, allowed_requests: ['getAuthorizationState'] }

export async function runMemory (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const levels = [...new Set([10, 100, options.sessions])].filter(n => n <= options.sessions).sort((a, b) => a - b)
  const top = levels[levels.length - 1]!
  const coldCount = options.quick ? 10 : 40
  const idleLevels = options.quick ? [100] : [100, 1000]
  const r = new Repeats()
  let allRunning = true
  // Each repeat starts thousands of TDLib sessions: three are enough for a spread (two in a quick run).
  const repeats = Math.min(options.quick ? 2 : 3, options.repeats)
  for (let rep = 0; rep < repeats; rep++) {
    const order = rep % 2 === 0 ? ['broker', 'direct'] as const : ['direct', 'broker'] as const
    for (const side of order) {
      const rss = side === 'broker' ? await brokerSessions(levels) : await directSessions(levels)
      for (const [level, bytes] of rss.levels) r.add(`${side}.${level}`, bytes / MB)
      r.add(`${side}.0`, rss.base / MB)
      for (const [level, bytes] of rss.heapLevels) r.add(`${side}.heap.${level}`, (bytes - rss.heapBase) / level / 1024)
      if (side === 'broker' && !rss.verified) allRunning = false
      log(`  memory repeat ${rep + 1}, ${side}: RSS ${num(rss.base / MB, 0)} MB with TDLib loaded, ${[...rss.levels].map(([n, b]) => `${num(b / MB, 0)} MB with ${n} sessions`).join(', ')}${side === 'broker' ? (rss.verified ? `; all ${top} sessions answered` : '; NOT all sessions answered') : ''}`)
    }
    for (const level of levels) {
      const extra = ((r.get(`broker.${level}`).runs[rep]! - r.get('broker.0').runs[rep]!) - (r.get(`direct.${level}`).runs[rep]! - r.get('direct.0').runs[rep]!)) / level
      r.add(`extra.${level}`, extra)
      r.add(`tdlib.${level}`, (r.get(`direct.${level}`).runs[rep]! - r.get('direct.0').runs[rep]!) / level)
    }
    const idle = await idleClients('tcp', idleLevels, coldCount)
    for (const [count, bytes] of idle.perClient) {
      r.add(`client.${count}`, bytes.rss / 1024)
      r.add(`client.heap.${count}`, bytes.heap / 1024)
    }
    const floor = await idleFloor(idleLevels)
    for (const [count, bytes] of floor) {
      r.add(`client.floor.${count}`, bytes.rss / 1024)
      r.add(`client.floor.heap.${count}`, bytes.heap / 1024)
    }
    // A quick run leaves out the TLS and WebSocket brokers (two more brokers per repeat).
    for (const kind of options.quick ? [] : ['tls', 'websocket'] as const) {
      const secure = await idleClients(kind, [idleLevels[idleLevels.length - 1]!], 1)
      for (const [count, bytes] of secure.perClient) {
        r.add(`client.${kind}.${count}`, bytes.rss / 1024)
        r.add(`client.${kind}.heap.${count}`, bytes.heap / 1024)
      }
    }
    r.add('cold.broker.p50', percentile(idle.brokerCold, 50) / 1000)
    r.add('cold.broker.p99', percentile(idle.brokerCold, 99) / 1000)
    const directCold = await directColdStart(coldCount)
    r.add('cold.direct.p50', percentile(directCold, 50) / 1000)
    r.add('cold.direct.p99', percentile(directCold, 99) / 1000)
    log(`  memory repeat ${rep + 1}: ${[...idle.perClient].map(([c, b]) => `${num(b.rss / 1024, 1)} KB per idle client at ${c} (JS heap ${num(b.heap / 1024, 2)})`).join(', ')}; ` +
      `the floor ${[...floor].map(([c, b]) => `${num(b.rss / 1024, 1)} KB at ${c} (JS heap ${num(b.heap / 1024, 2)})`).join(', ')}; ` +
      `cold start p50 broker ${num(percentile(idle.brokerCold, 50) / 1000, 1)} ms, direct ${num(percentile(directCold, 50) / 1000, 1)} ms`)
  }

  const perSession = r.get(`extra.${top}`)
  const perClient = r.get(`client.${idleLevels[idleLevels.length - 1]!}`)
  const sessionRows = [0, ...levels].map(level => [
    String(level), fmt(r.get(`broker.${level}`), 0), fmt(r.get(`direct.${level}`), 0),
    level === 0 ? '' : fmt(r.get(`tdlib.${level}`), 2), level === 0 ? '' : fmt(r.get(`extra.${level}`), 3),
    level === 0 ? '' : fmt(r.get(`broker.heap.${level}`), 1), level === 0 ? '' : fmt(r.get(`direct.heap.${level}`), 1)
  ])
  return {
    part: 'memory',
    markdown: [
      '## 4. Memory and session cold start (real TDLib)',
      '',
      'Sessions start for real (session folder, database, `setTdlibParameters` with an api_id, as the broker always sends it) with TDLib\'s network ' +
      'switched off (`setNetworkType networkTypeNone`, sent before the parameters, on both sides), so nothing leaves loopback and TDLib waits in ' +
      `\`authorizationStateWaitPhoneNumber\`. Broker: one connection creates and attaches the sessions, ${CONCURRENCY} at a time; RSS of the broker process ` +
      'after each level, after a garbage collection, once V8\'s heap has settled (sampled every 0.5 s until its size shrank and then held for 1.5 s, or held ' +
      'that long 6 s after the level; at most 12 s: V8 shrinks its heap some 3 s after a burst of work, by tens of MB, and a sample at a fixed delay landed before or ' +
      'after that by chance; bench/lib/settled-memory.ts). Direct: a process starting the same sessions through tdl with the same parameters, sampled the same way. ' +
      'Broker beyond TDLib = ((broker RSS at N − broker RSS at 0) − (direct RSS at N − direct RSS at 0)) / N, per repeat. ' +
      `At ${top} sessions every session is asked \`getAuthorizationState\` through the broker and must answer. ${repeats} repeats, broker and direct taking turns going first. ` +
      'Not included: memory TDLib allocates only once a session is logged in and receiving (these sessions wait for a phone number).',
      '',
      table(['sessions', 'broker RSS MB', 'direct tdl RSS MB', 'TDLib per session MB', 'broker beyond TDLib per session MB', 'broker JS heap per session KB', 'direct JS heap per session KB'], sessionRows),
      '',
      'RSS differences of a few hundred KB per session are within the noise of two processes\' allocators (TDLib alone takes well over 1 MB per session, ' +
      'and the estimate can come out negative); the JS heap columns (heap in use after a collection, growth per session) show the broker\'s own objects directly.',
      '',
      'Idle clients: a fresh broker with a running session; connections from the benchmark process, each attached to that session and then silent ' +
      '(one broker per transport; TLS with a client certificate, WebSocket over HTTP). Per client = (broker RSS with C clients − broker RSS with none) / C, each RSS taken once V8\'s heap has settled, as above. ' +
      'Beside it, a bare node:net server in a process of its own (bench/child/idle-floor.ts) holding the same connections the same way (no delay, keepalive, ' +
      'one line in and the broker\'s answer out) and nothing else, measured the same way, right after the broker in every repeat. ' +
      'RSS counts the pages a process touched, not the bytes it allocated: a connection\'s native memory (its libuv handle, Node\'s socket wrapper, read buffers) ' +
      'most likely lands in pages the broker already has (it freed memory once its sessions had started), where the small process has to take new ones ' +
      '(the likely reason, not traced allocation by allocation), so the bare ' +
      'server\'s RSS per connection can be the larger. The JS heap column (heap in use after a collection, growth per client) counts objects, not pages: ' +
      'the broker\'s own objects per connection are its difference from the bare server\'s. At 100 clients the RSS figures are within the allocators\' noise.',
      '',
      table(['idle clients', 'server, transport', 'RSS per client KB', 'JS heap per client KB'], [
        ...idleLevels.map(c => [String(c), 'broker, plain TCP', fmt(r.get(`client.${c}`), 1), fmt(r.get(`client.heap.${c}`), 2)]),
        ...idleLevels.map(c => [String(c), 'a bare node:net server (plain TCP)', fmt(r.get(`client.floor.${c}`), 1), fmt(r.get(`client.floor.heap.${c}`), 2)]),
        ...(options.quick ? [] : ['tls', 'websocket'] as const).map(kind => {
          const c = idleLevels[idleLevels.length - 1]!
          return [String(c), kind === 'tls' ? 'broker, TLS' : 'broker, WebSocket', fmt(r.get(`client.${kind}.${c}`), 1), fmt(r.get(`client.${kind}.heap.${c}`), 2)]
        })
      ]),
      '',
      `Cold start: ${coldCount} sessions started one after another on an otherwise idle broker (new folder each, so TDLib creates its database). ` +
      'Broker: from sending `broker.attachSession` for a stopped session to the first update of that session reaching the client ' +
      '(`updateAuthorizationState`, `authorizationStateWaitPhoneNumber`). Direct: from creating the tdl client to its first ' +
      'authorization state after `setTdlibParameters`.',
      '',
      table(['path', 'cold start p50 ms', 'cold start p99 ms'], [
        ['direct tdl', fmt(r.get('cold.direct.p50')), fmt(r.get('cold.direct.p99'))],
        ['broker', fmt(r.get('cold.broker.p50')), fmt(r.get('cold.broker.p99'))]
      ])
    ].join('\n'),
    targets: [
      {
        name: 'broker memory beyond TDLib per idle session: keep (≤ 52 KB, the top of the issue\'s range)',
        before: '35–52 KB',
        measured: `${num(perSession.median * 1024, 0)} KB per session at ${top} sessions (min ${num(perSession.min * 1024, 0)}, max ${num(perSession.max * 1024, 0)}), ${repeats} repeats${perSession.median > 0 ? '' : NOISE}`,
        // A figure at or below zero is the allocators' noise, not a measurement (too few sessions or clients): never a pass.
        pass: perSession.median > 0 && perSession.median * 1024 <= 52
      },
      {
        name: 'broker memory per idle client: keep (≤ 10 KB, the top of the issue\'s range)',
        before: '6–10 KB',
        measured: `${num(perClient.median, 1)} KB per client at ${idleLevels[idleLevels.length - 1]!} clients (min ${num(perClient.min, 1)}, max ${num(perClient.max, 1)}), ${repeats} repeats${perClient.median > 0 ? '' : NOISE}; ` +
          `a bare node:net server ${num(r.get(`client.floor.${idleLevels[idleLevels.length - 1]!}`).median, 1)} KB; JS heap per client ${num(r.get(`client.heap.${idleLevels[idleLevels.length - 1]!}`).median, 2)} KB (the bare server ${num(r.get(`client.floor.heap.${idleLevels[idleLevels.length - 1]!}`).median, 2)})`,
        pass: perClient.median > 0 && perClient.median <= 10
      },
      {
        name: '1,000 real TDLib sessions running at once',
        measured: top >= 1000
          ? (allRunning ? `${top} sessions started and each answered, in every repeat; broker RSS ${num(r.get(`broker.${top}`).median, 0)} MB` : `not every one of ${top} sessions answered`)
          : `not measured: the run was limited to ${top} sessions (--sessions / BENCH_SESSIONS)`,
        pass: top >= 1000 && allRunning
      }
    ],
    figures: r.all(),
    charts: [{
      title: 'RSS with N sessions (MB, lower is better)',
      unit: 'MB',
      groups: [0, ...levels].map(level => ({
        label: `${level} sessions`,
        bars: [{ series: 'direct tdl', value: r.get(`direct.${level}`) }, { series: 'broker', value: r.get(`broker.${level}`) }]
      }))
    }]
  }
}

interface SessionMemory {
  base: number
  levels: Map<number, number>
  /** JS heap in use (after a collection): base and per level; the broker's own objects live here. */
  heapBase: number
  heapLevels: Map<number, number>
  verified: boolean
}

/** A broker with real TDLib: RSS with no sessions, then at each level. */
async function brokerSessions (levels: readonly number[]): Promise<SessionMemory> {
  const broker = await startBrokerProcess({ label: 'memory', settings: MEMORY_BROKER_SETTINGS })
  const holder = await BenchClient.connect('tcp', broker)
  try {
    const before = await settledMemory(broker.memory)
    const sessions: string[] = []
    const measured = new Map<number, number>()
    const heap = new Map<number, number>()
    for (const level of levels) {
      const workers = Array.from({ length: CONCURRENCY }, async () => {
        while (sessions.length < level) {
          sessions.push('')
          const slot = sessions.length - 1
          const answer = await holder.request({ '@type': 'broker.createSession' })
          if (answer['@type'] !== 'broker.session') throw new Error(`createSession failed: ${JSON.stringify(answer)}`)
          sessions[slot] = answer.session as string
        }
      })
      await Promise.all(workers)
      const now = await settledMemory(broker.memory)
      measured.set(level, now.rss)
      heap.set(level, now.heapUsed)
    }
    const states = await Promise.all(sessions.map(async session => await holder.request({ '@type': 'getAuthorizationState', '@session': session })))
    const status = await holder.request({ '@type': 'broker.getStatus' })
    const verified = states.every(s => s['@type'] === 'authorizationStateWaitPhoneNumber') && status.sessions_running === sessions.length
    return { base: before.rss, levels: measured, heapBase: before.heapUsed, heapLevels: heap, verified }
  } finally {
    holder.close()
    await broker.stop()
  }
}

/** The same sessions, started directly through tdl in a process of their own. */
async function directSessions (levels: readonly number[]): Promise<SessionMemory> {
  const { dir, child, cleanup } = directChild()
  try {
    await child.call('load', { settings: { tdlib: BENCH_CREDENTIALS }, dir })
    const memory = async (): Promise<ProcessMemory> => await child.call<ProcessMemory>('memory')
    const before = await settledMemory(memory)
    const measured = new Map<number, number>()
    const heap = new Map<number, number>()
    for (const level of levels) {
      await child.call('grow', { root: join(dir, 'sessions'), total: level, concurrency: CONCURRENCY })
      const now = await settledMemory(memory)
      measured.set(level, now.rss)
      heap.set(level, now.heapUsed)
    }
    return { base: before.rss, levels: measured, heapBase: before.heapUsed, heapLevels: heap, verified: true }
  } finally {
    await cleanup()
  }
}

async function directColdStart (count: number): Promise<number[]> {
  const { dir, child, cleanup } = directChild()
  try {
    await child.call('load', { settings: { tdlib: BENCH_CREDENTIALS }, dir })
    return await child.call<number[]>('coldStart', { root: join(dir, 'sessions'), count })
  } finally {
    await cleanup()
  }
}

function directChild (): { dir: string, child: Child, cleanup: () => Promise<void> } {
  const dir = tempFolder()
  const child = new Child('direct TDLib', new URL('../child/direct-tdlib.js', import.meta.url))
  return {
    dir, child,
    cleanup: async () => {
      await child.stop()
      removeFolder(dir)
    }
  }
}

/**
 * A fresh broker: `coldCount` sessions started one after another (timed from
 * the attach to the first update), then idle clients of one transport
 * attached to the first session.
 */
async function idleClients (kind: Transport, idleLevels: readonly number[], coldCount: number): Promise<{ perClient: Map<number, PerClient>, brokerCold: number[] }> {
  const broker = await startBrokerProcess({ label: `idle-clients-${kind}`, secure: kind !== 'tcp', settings: { tdlib: BENCH_CREDENTIALS } })
  const holder = await BenchClient.connect('tcp', broker)
  const idle: BenchClient[] = []
  try {
    const brokerCold: number[] = []
    let firstSession = ''
    for (let i = 0; i < coldCount; i++) {
      const session = await coldStartThroughBroker(holder, brokerCold)
      if (firstSession === '') firstSession = session
    }
    const perClient = await holdIdle(idle, kind, broker, firstSession, idleLevels, broker.memory)
    return { perClient, brokerCold }
  } finally {
    for (const c of idle) c.close()
    holder.close()
    await broker.stop()
  }
}

/** The same idle connections held by a bare node:net server (bench/child/idle-floor.ts): memory per connection at each level. */
async function idleFloor (levels: readonly number[]): Promise<Map<number, PerClient>> {
  const child = new Child('idle-client floor', new URL('../child/idle-floor.js', import.meta.url))
  const idle: BenchClient[] = []
  try {
    const endpoint = { ports: { tcp: await child.call<number>('start') } }
    return await holdIdle(idle, 'tcp', endpoint, 'floor', levels, async () => await child.call<ProcessMemory>('memory'))
  } finally {
    for (const c of idle) c.close()
    await child.stop()
  }
}

/**
 * Opens idle clients of one transport to `endpoint` (kept in `idle` for the
 * caller to close), each attached to `session` and then silent, up to each
 * level in turn; the serving process's RSS per client at each level, against
 * its RSS before the first (`memory`, after a collection, once V8's heap has
 * settled: settled-memory.ts).
 */
async function holdIdle (idle: BenchClient[], kind: Transport, endpoint: Endpoint, session: string, levels: readonly number[], memory: () => Promise<ProcessMemory>): Promise<Map<number, PerClient>> {
  const base = await settledMemory(memory)
  const perClient = new Map<number, PerClient>()
  for (const level of levels) {
    while (idle.length < level) {
      const c = await BenchClient.connect(kind, endpoint)
      idle.push(c)
      const answer = await c.request({ '@type': 'broker.attachSession', session })
      if (answer['@type'] !== 'broker.attached') throw new Error(`attach failed: ${JSON.stringify(answer)}`)
    }
    const now = await settledMemory(memory)
    perClient.set(level, { rss: (now.rss - base.rss) / level, heap: (now.heapUsed - base.heapUsed) / level })
  }
  return perClient
}

/** Creates a stopped session, then times its attach until its first update arrives. */
async function coldStartThroughBroker (client: BenchClient, times: number[]): Promise<string> {
  const created = await client.request({ '@type': 'broker.createSession', attach: false })
  const session = created.session as string
  let started = 0n
  const firstUpdate = new Promise<void>(resolve => {
    client.onMessage = (m: Msg) => {
      if (m['@session'] === session && typeof m['@seq'] === 'number') {
        times.push(Number(process.hrtime.bigint() - started) / 1000)
        client.onMessage = () => {}
        resolve()
      }
    }
  })
  started = process.hrtime.bigint()
  const attached = await client.request({ '@type': 'broker.attachSession', session })
  if (attached['@type'] !== 'broker.attached') throw new Error(`attach failed: ${JSON.stringify(attached)}`)
  await firstUpdate
  return session
}

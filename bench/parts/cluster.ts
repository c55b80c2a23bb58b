/**
 * 8. Cluster (issue #16, docs/cluster.md): three broker nodes, each in its
 * own child process on the sandbox backend, and a private nats-server with
 * JetStream on a free port with a temporary store (killed at the end).
 * - Round trip: testSquareInt on one logged-in session through a client of
 *   the owner node and through a client of another node (forwarded over
 *   NATS request/reply), one request at a time; every round runs both, the
 *   order alternating, and the difference is taken within the round.
 * - Failover: kill -9 of the owner's process, then probes through a
 *   surviving node every PROBE_MS until the first testSquareInt answer (from
 *   the new owner); the killed node is started again before the next one.
 *   Default cluster timings (lease_ttl 4 s, heartbeat 1 s).
 * - Fan-out: 100 clients (in a second process, bench/child/fanout-clients.ts)
 *   attached through the owner alone against spread round robin over the
 *   three nodes; the owner's sandbox injects the messages (as in part 3's
 *   in-process injection), the other nodes get them from the update stream.
 */
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { BenchClient, attach, type Msg } from '../lib/client.js'
import { Child } from '../lib/child.js'
import type { FanoutPlan } from '../lib/ipc.js'
import { startBrokerProcess, type BrokerProcess } from '../lib/broker-process.js'
import { loadAverage } from '../lib/machine.js'
import { hasBackup, processCpu, startNatsServer } from '../lib/nats-server.js'
import type { BenchOptions } from '../lib/options.js'
import { fmt, num, table, type PartReport } from '../lib/report-types.js'
import { Repeats, percentileSorted, sleep, spread } from '../lib/stats.js'
import { sequentialLatency } from '../lib/latency.js'
import { NatsFloor } from '../lib/nats-floor.js'
import { removeFolder, tempFolder } from '../lib/temp.js'
import { ALICE, BOB, loginAlice } from './fanout.js'

const NODES = ['a', 'b', 'c'] as const
/** Milliseconds between failover probes: the resolution of the failover figure. */
const PROBE_MS = 50
/** Every wait of this part is bounded by one of these. */
const REQUEST_TIMEOUT_MS = 30_000
const FAILOVER_LIMIT_MS = 60_000
const BACKUP_LIMIT_MS = 30_000
const FANOUT_LIMIT_MS = 120_000
const FANOUT_CLIENTS = 100
/** Three heartbeats (default 1 s) and one more: by then a node without clients of the session has stopped consuming its updates. */
const VIEW_DROP_MS = 4500
/** Messages of the unmeasured pass before each measured run spread over three nodes. */
const WARM_MESSAGES = 100
/** As in part 3: deliveries in flight at most, messages per event-loop turn at most. */
const WINDOW_DELIVERIES = 4000
const MAX_BATCH = 32
const SPREADS = ['one', 'three'] as const
type Spreading = typeof SPREADS[number]
const SPREAD_LABEL: Record<Spreading, string> = { one: `${FANOUT_CLIENTS} clients on the owner node`, three: `${FANOUT_CLIENTS} clients spread over the three nodes` }
const SECTIONS = ['roundtrip', 'fanout', 'failover'] as const
/** The round trip's paths: through the owner, through another node, and NATS request/reply alone (the floor of the difference). */
const RT_PATHS = ['owner', 'other', 'floor'] as const

/**
 * BENCH_CLUSTER=roundtrip,fanout,failover runs some sections of this part
 * only (to profile one path without the others' work in the profile); such a
 * run prints its rounds and writes no report tables.
 */
function sections (env: string | undefined): Set<string> {
  if (env === undefined || env === '') return new Set(SECTIONS)
  const picked = env.split(',')
  for (const s of picked) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_CLUSTER: unknown section "${s}" (sections: ${SECTIONS.join(', ')})`)
  return new Set(picked)
}

export async function runCluster (options: BenchOptions, log: (line: string) => void): Promise<PartReport> {
  const samples = options.quick ? 1000 : 4000
  const warmup = options.quick ? 200 : 1000
  const failovers = options.quick ? 3 : 8
  const run = sections(process.env.BENCH_CLUSTER)
  const natsStore = tempFolder()
  const nats = await startNatsServer({ dir: natsStore })
  const prefix = `bench${randomBytes(4).toString('hex')}`
  const nodes = new Map<string, BrokerProcess>()
  const clients = new Map<string, BenchClient>()
  const settings = (node: string): Record<string, unknown> => ({
    tdlib: { backend: 'sandbox' },
    terminate_delay: 3600,
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'testSquareInt'],
    allowed_updates: ['updateNewMessage'],
    cluster: { node, prefix, servers: [nats.url] }
  })
  const startNode = async (node: string): Promise<void> => {
    nodes.set(node, await startBrokerProcess({ label: `cluster-${node}`, settings: settings(node) }))
  }
  /** CPU microseconds (user, system) so far of each node and of nats-server (every thread). */
  const cpuByProcess = async (): Promise<Record<string, { user: number, system: number }>> => {
    const by: Record<string, { user: number, system: number }> = { nats: nats.cpu() }
    for (const [name, node] of nodes) by[name] = await node.child.call<{ user: number, system: number }>('cpu')
    return by
  }
  /** CPU microseconds so far of the three nodes and nats-server together. */
  const clusterCpu = async (): Promise<number> => Object.values(await cpuByProcess()).reduce((sum, c) => sum + c.user + c.system, 0)
  try {
    for (const node of NODES) await startNode(node)
    for (const node of NODES) clients.set(node, await BenchClient.connect('tcp', nodes.get(node)!))
    const session = await bounded(loginAlice(clients.get('a')!), REQUEST_TIMEOUT_MS, 'logging in')
    await until(async () => await hasBackup(nats.url, prefix, session), BACKUP_LIMIT_MS, 'the backup taken at login')
    const prefixLine = `{"@type":"testSquareInt","x":3,"@session":"${session}"`
    const square = async (client: BenchClient): Promise<Msg> => await bounded(client.requestPrefix(prefixLine), REQUEST_TIMEOUT_MS, 'testSquareInt')
    for (const node of NODES) if (node !== 'a') await attach(clients.get(node)!, session)

    // 1. Round trip through the owner against through another node.
    const owner = await ownerOf(clients, session)
    const other = NODES.find(n => n !== owner)!
    const paths = { owner: clients.get(owner)!, other: clients.get(other)! }
    for (const [name, client] of Object.entries(paths)) {
      const check = await square(client)
      if (check.value !== 9) throw new Error(`testSquareInt through the ${name} node answered ${JSON.stringify(check)}`)
    }
    const r = new Repeats()
    // The floor: the same nats-server, a bare responder in a process of its own, asked from this one.
    const floor = run.has('roundtrip') ? await NatsFloor.start(nats.url, prefix, session) : undefined
    try {
      for (let round = 0; round < (run.has('roundtrip') ? options.repeats : 0); round++) {
        r.add('rt.load', loadAverage())
        // Every path goes first, second and last in turn.
        const order = RT_PATHS.map((_p, i) => RT_PATHS[(i + round) % RT_PATHS.length]!)
        const p50: Record<string, number> = {}
        const split: Record<string, string> = {}
        for (const path of order) {
          let cpuStart: Record<string, { user: number, system: number }> = {}
          const call = path === 'floor' ? async () => { await bounded(floor!.ask(), REQUEST_TIMEOUT_MS, 'the NATS floor') } : async () => await square(paths[path])
          const lat = await sequentialLatency(call, warmup, samples, async () => { cpuStart = await cpuByProcess() })
          const cpuEnd = await cpuByProcess()
          // Where the CPU goes, per process (the client's node, the owner, the third node, nats-server), and how much of it in the kernel.
          const used = (name: string, kind: 'user' | 'system'): number => ((cpuEnd[name]?.[kind] ?? 0) - (cpuStart[name]?.[kind] ?? 0)) / samples
          const per = (name: string): number => used(name, 'user') + used(name, 'system')
          const role = (name: string): string => name === 'nats' ? 'nats' : name === owner ? 'owner' : name === other ? 'forwarding' : 'third'
          for (const name of Object.keys(cpuEnd)) {
            r.add(`rt.${path}.cpu.${role(name)}`, per(name))
            r.add(`rt.${path}.cpu.${role(name)}.system`, used(name, 'system'))
          }
          r.add(`rt.${path}.cpu`, Object.keys(cpuEnd).reduce((sum, name) => sum + per(name), 0))
          split[path] = Object.keys(cpuEnd).map(name => `${role(name)}${name === 'nats' ? '-server' : ` ${name}`} ${num(per(name))} (system ${num(used(name, 'system'))})`).join(', ')
          p50[path] = percentileSorted(lat, 50)
          r.add(`rt.${path}.p50`, p50[path])
          r.add(`rt.${path}.p99`, percentileSorted(lat, 99))
        }
        const difference = p50.other! - p50.owner!
        r.add('rt.difference', difference)
        r.add('rt.own', difference - p50.floor!)
        log(`  round trip, round ${round + 1} (${order.join(' ')}; load ${num(loadAverage(), 2)}): owner ${owner} p50 ${num(p50.owner!)} µs, ` +
          `other node ${other} p50 ${num(p50.other!)} µs, difference ${num(difference)} µs, NATS request/reply alone ${num(p50.floor!)} µs ` +
          `(the broker's own share ${num(difference - p50.floor!)} µs); CPU µs per request through the owner: ${split.owner!}; ` +
          `through another node: ${split.other!}; NATS alone: nats-server ${num(r.get('rt.floor.cpu.nats').runs.at(-1)!)}`)
      }
    } finally {
      await floor?.stop()
    }

    // 3. Fan-out to 100 clients: on the owner alone, or spread over the three nodes.
    // The benchmark's own clients let go meanwhile, so "on the owner alone" means no other node consumes the stream.
    if (run.has('fanout')) {
      for (const client of clients.values()) await detach(client, session)
      const fanClients = new Child('cluster fan-out clients', new URL('../child/fanout-clients.js', import.meta.url))
      try {
        const ownerNode = nodes.get(owner)!
      const clientsPid = childPid('fanout-clients')
        let onProgress: (upTo: number) => void = () => {}
        fanClients.onNotice('progress', (upTo: number) => { onProgress(upTo) })
        onProgress = upTo => { ownerNode.child.notify('fanout.ack', upTo) }
        const messages = options.quick ? 500 : 1500
        let index = 0
        const window = Math.max(4, Math.ceil(WINDOW_DELIVERIES / FANOUT_CLIENTS))
        const once = async (spreading: Spreading, count: number): Promise<{ rate: number, p50: number, p99: number, cpu: number, split: string, by: Record<string, number> }> => {
          // A node drops its view of a session three heartbeats after its last client there left (node.ts): on the owner alone, the others consume nothing.
          if (spreading === 'one') await sleep(VIEW_DROP_MS)
          await bounded(fanClients.call('connect', { port: ownerNode.ports.tcp, count: FANOUT_CLIENTS, session, ...(spreading === 'three' ? { ports: NODES.map(n => nodes.get(n)!.ports.tcp) } : {}) }), REQUEST_TIMEOUT_MS, 'connecting the fan-out clients')
          try {
            // Spread over three, the other nodes have just built their views again from the stream (they had dropped them):
            // a short unmeasured pass first, so the measured one is their steady state, as on the owner, which kept its view.
            if (spreading === 'three' && count > WARM_MESSAGES) await pass(spreading, WARM_MESSAGES)
            return await pass(spreading, count)
          } finally {
            await bounded(fanClients.call('disconnect'), REQUEST_TIMEOUT_MS, 'disconnecting the fan-out clients')
          }
        }
        async function pass (spreading: Spreading, count: number): Promise<{ rate: number, p50: number, p99: number, cpu: number, split: string, by: Record<string, number> }> {
          const plan: FanoutPlan = { from: BOB, chat: ALICE.id, firstIndex: index, messages: count, window, batch: Math.min(MAX_BATCH, Math.max(1, Math.floor(window / 4))) }
          index += count
          await fanClients.call('arm', { firstIndex: plan.firstIndex, messages: count, updatesPerMessage: 1, ackEvery: Math.max(1, Math.floor(window / 8)) })
          const cpuStart = await cpuByProcess()
          const clientsStart = clientsPid === undefined ? 0 : total(processCpu(clientsPid))
          const [result] = await bounded(Promise.all([fanClients.call<{ deliveries: number, seconds: number, p50: number, p99: number }>('result'), ownerNode.child.call('fanout.run', plan)]), FANOUT_LIMIT_MS, `fan-out (${spreading})`)
          if (result.deliveries !== count * FANOUT_CLIENTS) throw new Error(`fan-out (${spreading}): expected ${count * FANOUT_CLIENTS} deliveries, counted ${result.deliveries}`)
          const cpuEnd = await cpuByProcess()
          // Where the CPU goes, per delivery: the owner, the other two nodes, nats-server, and the clients' process (not in the total).
          const per = (name: string): number => (total(cpuEnd[name]) - total(cpuStart[name])) / result.deliveries
          const others = Object.keys(cpuEnd).filter(n => n !== owner && n !== 'nats').reduce((sum, n) => sum + per(n), 0)
          const clients = clientsPid === undefined ? NaN : (total(processCpu(clientsPid)) - clientsStart) / result.deliveries
          const split = `owner ${num(per(owner), 2)}, other nodes ${num(others, 2)}, nats-server ${num(per('nats'), 2)}; the clients' process ${num(clients, 2)}`
          const cpu = Object.keys(cpuEnd).reduce((sum, n) => sum + per(n), 0)
          const by = { owner: per(owner), others, nats: per('nats'), clients }
          return { rate: result.deliveries / result.seconds, p50: result.p50 / 1000, p99: result.p99 / 1000, cpu, split, by }
        }
        for (const spreading of SPREADS) await once(spreading, Math.min(messages, 100)) // warm-up
        for (let round = 0; round < options.repeats; round++) {
          r.add('fan.load', loadAverage())
          const rates: Partial<Record<Spreading, number>> = {}
          for (const spreading of round % 2 === 0 ? SPREADS : [...SPREADS].reverse()) {
            const res = await once(spreading, messages)
            rates[spreading] = res.rate
            r.add(`fan.${spreading}.rate`, res.rate)
            r.add(`fan.${spreading}.p50`, res.p50)
            r.add(`fan.${spreading}.p99`, res.p99)
            r.add(`fan.${spreading}.cpu`, res.cpu)
            for (const [k, v] of Object.entries(res.by)) r.add(`fan.${spreading}.cpu.${k}`, v)
            log(`  fan-out to ${FANOUT_CLIENTS} clients, round ${round + 1}, ${spreading} node(s): ${num(res.rate, 0)} deliveries/s, p50 ${num(res.p50, 2)} ms, p99 ${num(res.p99, 2)} ms, ${num(res.cpu, 2)} µs CPU per delivery (${res.split}) (load ${num(loadAverage(), 2)})`)
          }
          r.add('fan.threeToOne', rates.three! / rates.one!)
        }
      } finally {
        await fanClients.stop()
      }
      for (const client of clients.values()) await bounded(attach(client, session), REQUEST_TIMEOUT_MS, 'attaching again after the fan-out')
    }

    // 2. Failover: kill -9 of the owner, first answer through a surviving node.
    const failoverMs: number[] = []
    for (let rep = 0; rep < (run.has('failover') ? failovers : 0); rep++) {
      const dead = await ownerOf(clients, session)
      const prober = clients.get(NODES.find(n => n !== dead)!)!
      r.add('failover.load', loadAverage())
      nodes.get(dead)!.child.kill()
      const killed = process.hrtime.bigint()
      clients.get(dead)!.close()
      const ms = await firstAnswer(prober, prefixLine, killed)
      failoverMs.push(ms)
      log(`  failover ${rep + 1} of ${failovers}: owner ${dead} killed, first answer after ${num(ms, 0)} ms (load ${num(loadAverage(), 2)})`)
      // Back to three nodes (a fresh folder under the same name) with a client attached, for the next one.
      await nodes.get(dead)!.stop()
      await startNode(dead)
      const client = await BenchClient.connect('tcp', nodes.get(dead)!)
      clients.set(dead, client)
      await bounded(attach(client, session), REQUEST_TIMEOUT_MS, 'attaching after the restart')
    }
    if (run.size < SECTIONS.length) {
      return { part: 'cluster', markdown: `(BENCH_CLUSTER=${[...run].join(',')}: some sections only, no tables; the rounds are in the log above)`, targets: [], charts: [], figures: r.all() }
    }
    const failover = { p50: percentileSorted([...failoverMs].sort((x, y) => x - y), 50), p99: percentileSorted([...failoverMs].sort((x, y) => x - y), 99) }
    const difference = r.get('rt.difference')
    const rtLoad = r.get('rt.load')
    const foLoad = r.get('failover.load')
    return {
      part: 'cluster',
      markdown: [
        '## 8. Cluster (three nodes on NATS JetStream)',
        '',
        'Three broker nodes, each in its own process on the sandbox backend, and a private `nats-server -js` on a free port with a temporary store, all on ' +
        'this machine\'s loopback; default cluster timings (`lease_ttl` 4 s, `heartbeat` 1 s). One session, logged in as the sandbox\'s Alice, with a client ' +
        'attached through every node.',
        '',
        `Round trip: \`testSquareInt\` one at a time, ${samples.toLocaleString('en-US')} per path per round after ${warmup.toLocaleString('en-US')} warm-up ones, ` +
        `${options.repeats} rounds, each path first, second and last in turn; the difference of the p50s is taken within each round. Through the owner the request is answered ` +
        'in its process; through another node it passes that node\'s pipeline and is forwarded to the owner over NATS request/reply. ' +
        'The floor of that difference is NATS request/reply alone: the benchmark process asks a bare responder in a process of its own (bench/child/nats-echo.ts: ' +
        'parse the request, publish a fixed answer) through the same nats-server, with a request and an answer of a forwarded testSquareInt\'s sizes, in the same rounds; ' +
        'no broker code on either side. The difference less that floor, per round, is what the broker itself adds to a forwarded request. ' +
        `1-minute load average at the start of the rounds: ${fmt(rtLoad, 2)}.`,
        '',
        table(['path', 'p50 µs', 'p99 µs'], [
          ['through the owner node', fmt(r.get('rt.owner.p50')), fmt(r.get('rt.owner.p99'))],
          ['through another node (forwarded over NATS)', fmt(r.get('rt.other.p50')), fmt(r.get('rt.other.p99'))],
          ['difference of the p50s, per round', fmt(difference), ''],
          ['floor: NATS request/reply alone, between two bare processes', fmt(r.get('rt.floor.p50')), fmt(r.get('rt.floor.p99'))],
          ['the broker\'s own share: difference − floor, per round', fmt(r.get('rt.own')), '']
        ]),
        '',
        'CPU: user and system time of the three node processes and the nats-server process over the measured round trips, per request ' +
        `(every thread; nats-server's from /proc in clock ticks): through the owner ${fmt(r.get('rt.owner.cpu'))} µs, through another node ${fmt(r.get('rt.other.cpu'))} µs. ` +
        'Of a forwarded request, by process: the client\'s node ' +
        `${fmt(r.get('rt.other.cpu.forwarding'))} µs (of which in the kernel ${fmt(r.get('rt.other.cpu.forwarding.system'))}), the owner ${fmt(r.get('rt.other.cpu.owner'))} (kernel ${fmt(r.get('rt.other.cpu.owner.system'))}), ` +
        `nats-server ${fmt(r.get('rt.other.cpu.nats'))} (kernel ${fmt(r.get('rt.other.cpu.nats.system'))}); of a request through the owner, the owner ${fmt(r.get('rt.owner.cpu.owner'))} (kernel ${fmt(r.get('rt.owner.cpu.owner.system'))}); ` +
        `of NATS request/reply alone, nats-server ${fmt(r.get('rt.floor.cpu.nats'))} (kernel ${fmt(r.get('rt.floor.cpu.nats.system'))}).`,
        '',
        `Fan-out: ${FANOUT_CLIENTS} plain TCP clients (in a second process that only counts marked lines, as in part 3) attached through the owner node alone, ` +
        'or spread round robin over the three nodes; the owner\'s sandbox injects the messages (`updateNewMessage`, in-process injection as in part 3), ' +
        `at most ${WINDOW_DELIVERIES.toLocaleString('en-US')} deliveries in flight; the other nodes get them from the JetStream update stream. ` +
        'The owner publishes every update to the stream in both cases (it is a cluster node, and its own clients get them from the stream too); ' +
        `on the owner alone no other node consumes it (the benchmark's own clients detach meanwhile, and each run on the owner alone starts ${VIEW_DROP_MS / 1000} s ` +
        'after the other nodes\' last clients left, when they have stopped consuming; so each run spread over the three starts with the other nodes building their views ' +
        `again from the stream, and ${WARM_MESSAGES} unmeasured messages go first). ` +
        `${(options.quick ? 500 : 1500).toLocaleString('en-US')} messages per run, ${options.repeats} rounds after a warm-up of each, the order alternating. ` +
        `Load average: ${fmt(r.get('fan.load'), 2)}.`,
        '',
        table(['clients', 'deliveries/s', 'latency p50 ms', 'latency p99 ms', 'CPU µs/delivery (nodes + nats-server)'], SPREADS.map(sp => [SPREAD_LABEL[sp], fmt(r.get(`fan.${sp}.rate`), 0), fmt(r.get(`fan.${sp}.p50`), 2), fmt(r.get(`fan.${sp}.p99`), 2), fmt(r.get(`fan.${sp}.cpu`), 2)])),
        '',
        `Spread over three nodes against on the owner alone, per round: ${fmt(r.get('fan.threeToOne'), 2)}. CPU per delivery by process, on the owner alone: ` +
        SPREADS.map(sp => `${sp === 'one' ? '' : 'spread over the three: '}the owner ${fmt(r.get(`fan.${sp}.cpu.owner`), 2)}, the other nodes ${fmt(r.get(`fan.${sp}.cpu.others`), 2)}, ` +
          `nats-server ${fmt(r.get(`fan.${sp}.cpu.nats`), 2)}, the clients' process (not in the table) ${fmt(r.get(`fan.${sp}.cpu.clients`), 2)} µs`).join('; ') + '.',
        '',
        `Failover: ${failovers} times, kill -9 of the owner's process, then a \`testSquareInt\` through a surviving node every ${PROBE_MS} ms until the first ` +
        'answer (from the new owner, which took the lease once it expired, restored the backup and started the session); the killed node is started again ' +
        `before the next one. From the kill to that answer: p50 ${num(failover.p50, 0)} ms, p99 ${num(failover.p99, 0)} ms ` +
        `(with ${failovers} runs the p99 is the slowest one; every run: ${failoverMs.map(ms => num(ms, 0)).join(', ')} ms). Load average: ${fmt(foLoad, 2)}.`,
      ].join('\n'),
      targets: [{
        name: 'cluster round trip p50, through another node − through the owner ≤ 150 µs',
        measured: `${fmt(difference)} µs over ${options.repeats} rounds (owner ${num(r.get('rt.owner.p50').median)} µs, other node ${num(r.get('rt.other.p50').median)} µs); ` +
          `NATS request/reply alone, the floor of the difference, ${fmt(r.get('rt.floor.p50'))} µs; the broker's own share ${fmt(r.get('rt.own'))} µs; load ${fmt(rtLoad, 2)}`,
        pass: difference.median <= 150
      }, {
        name: 'failover, kill -9 of the owner to the first answer on the new owner, < 5 s (default settings)',
        measured: `p50 ${num(failover.p50, 0)} ms, p99 ${num(failover.p99, 0)} ms over ${failovers} runs; load ${fmt(foLoad, 2)}`,
        pass: failover.p99 < 5000
      }],
      charts: [{
        title: 'Cluster fan-out to 100 clients (deliveries/s, higher is better)',
        unit: 'deliveries/s',
        groups: [{ label: `${FANOUT_CLIENTS} clients`, bars: SPREADS.map(sp => ({ series: SPREAD_LABEL[sp], value: r.get(`fan.${sp}.rate`) })) }]
      }, {
        title: 'Cluster round trip p50 (µs, lower is better)',
        unit: 'µs',
        groups: [{ label: 'testSquareInt', bars: [{ series: 'through the owner', value: r.get('rt.owner.p50') }, { series: 'through another node', value: r.get('rt.other.p50') }] }]
      }],
      figures: { ...r.all(), 'failover.ms': spread(failoverMs) }
    }
  } finally {
    for (const client of clients.values()) client.close()
    for (const node of nodes.values()) await node.stop()
    await nats.stop()
    removeFolder(natsStore)
  }
}

async function detach (client: BenchClient, session: string): Promise<void> {
  const answer = await bounded(client.request({ '@type': 'broker.detachSession', session }), REQUEST_TIMEOUT_MS, 'broker.detachSession')
  if (answer['@type'] !== 'broker.detached') throw new Error(`detachSession failed: ${JSON.stringify(answer)}`)
}

/** Which node runs the session, from the nodes' own status (sessions_owned); bounded. */
async function ownerOf (clients: Map<string, BenchClient>, session: string): Promise<string> {
  let found: string | undefined
  await until(async () => {
    for (const [node, client] of clients) {
      const status = await bounded(client.request({ '@type': 'broker.getStatus' }), REQUEST_TIMEOUT_MS, 'broker.getStatus')
      const owned = (status.cluster as Msg | undefined)?.sessions_owned
      if (Array.isArray(owned) && owned.includes(session)) { found = node; return true }
    }
    return false
  }, REQUEST_TIMEOUT_MS, `an owner of session ${session}`)
  return found!
}

/**
 * Sends a probe every PROBE_MS (each in flight until it is answered) and
 * resolves with the milliseconds from `since` to the first right answer.
 */
async function firstAnswer (client: BenchClient, prefixLine: string, since: bigint): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    let done = false
    const finish = (error?: Error): void => {
      if (done) return
      done = true
      clearInterval(timer)
      clearTimeout(limit)
      if (error !== undefined) reject(error)
      else resolve(Number(process.hrtime.bigint() - since) / 1e6)
    }
    const probe = (): void => {
      client.requestPrefix(prefixLine).then(answer => { if (answer.value === 9) finish() }, () => {})
    }
    const timer = setInterval(probe, PROBE_MS)
    const limit = setTimeout(() => { finish(new Error(`no answer within ${FAILOVER_LIMIT_MS} ms of the kill`)) }, FAILOVER_LIMIT_MS)
    probe()
  })
}

async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: no answer within ${ms} ms`)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}

async function until (check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(100)
  }
}

const total = (c: { user: number, system: number } | undefined): number => c === undefined ? 0 : c.user + c.system

/** The pid of this process's child whose command line contains `name` (for its CPU from /proc), if there is one. */
function childPid (name: string): number | undefined {
  try {
    const pids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(' ').filter(p => p !== '').map(Number)
    return pids.find(pid => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name))
  } catch {
    return undefined
  }
}

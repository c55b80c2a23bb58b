/** Cluster test helpers: nodes in this process on a shared or private NATS, private nats-server processes. */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { startBroker, tempDir, type TestBroker } from '../helpers/broker.js'
import type { Msg, TestClient } from '../helpers/client.js'

export const REQUESTS = ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'getMe', 'getAuthorizationState', 'sendMessage', 'createPrivateChat', 'testSquareInt', 'getOption']
export const UPDATES = ['updateNewMessage', 'updateChatLastMessage', 'updateMessageSendSucceeded', 'updateUser', 'updateNewChat', 'updateOption']

/** A prefix no other test uses, so tests can share one NATS. */
export function freshPrefix (): string { return `t${randomBytes(5).toString('hex')}` }

export interface NodeOptions { servers?: string[], cluster?: Record<string, unknown>, raw?: Record<string, unknown>, dir?: string }

/** A sandbox broker node of cluster `prefix`. */
export async function startNode (prefix: string, node: string, opts: NodeOptions = {}): Promise<TestBroker> {
  return await startBroker({
    tdlib: { backend: 'sandbox' },
    allowed_requests: REQUESTS,
    allowed_updates: UPDATES,
    ...opts.raw,
    cluster: { node, prefix, servers: opts.servers ?? ['nats://127.0.0.1:4222'], lease_ttl: 4, heartbeat: 0.5, ...opts.cluster }
  }, opts.dir === undefined ? {} : { dir: opts.dir })
}

/** Resolves once `check` returns true, polling; rejects after `timeoutMs`. */
export async function until (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export const authState = (session: string, name: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === name

/** Logs the session in as a seeded sandbox user (every demo user's code is 12345). */
export async function login (c: TestClient, session: string, phone = '15550001001'): Promise<void> {
  await c.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'), 30_000, 'phone number state')
  const a = await c.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: phone, '@session': session }, 30_000)
  if (a['@type'] !== 'ok') throw new Error(JSON.stringify(a))
  await c.waitFor(authState(session, 'authorizationStateWaitCode'), 30_000, 'code state')
  const b = await c.request({ '@type': 'checkAuthenticationCode', code: '12345', '@session': session }, 30_000)
  if (b['@type'] !== 'ok') throw new Error(JSON.stringify(b))
  await c.waitFor(authState(session, 'authorizationStateReady'), 30_000, 'ready state')
}

/** A free TCP port on 127.0.0.1. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => { resolve(port) })
    })
    server.on('error', reject)
  })
}

export interface NatsServer { port: number, url: string, dir: string, process: ChildProcess, stop(): Promise<void>, restart(): Promise<NatsServer> }

/** A private nats-server with JetStream on a free port (for tests that stop or restart it). */
export async function startNats (port?: number, dir?: string): Promise<NatsServer> {
  const p = port ?? await freePort()
  const store = dir ?? tempDir('tdbroker-nats-')
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(p), '-sd', store], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  await until(async () => await new Promise<boolean>(resolve => {
    const s = net.connect(p, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.on('error', () => { resolve(false) })
  }), 20_000, `nats-server on port ${p}`)
  const server: NatsServer = {
    port: p, url: `nats://127.0.0.1:${p}`, dir: store, process: child,
    async stop () {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    async restart () {
      await server.stop()
      return await startNats(p, store)
    }
  }
  return server
}

/**
 * A TCP relay to a NATS server that can be cut (every relayed socket is
 * paused: nothing passes either way, nothing is closed), like a partition.
 */
export async function startRelay (targetPort: number): Promise<{ url: string, cut(): void, close(): void }> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  let isCut = false
  const server = net.createServer(client => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    client.on('data', d => { if (!isCut) upstream.write(d) })
    upstream.on('data', d => { if (!isCut) client.write(d) })
    const end = (): void => { client.destroy(); upstream.destroy(); pairs.delete(pair) }
    client.on('error', end); upstream.on('error', end); client.on('close', end); upstream.on('close', end)
    if (isCut) end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `nats://127.0.0.1:${port}`,
    cut () { isCut = true },
    close () { server.close(); for (const [a, b] of pairs) { a.destroy(); b.destroy() } }
  }
}

/** Every update of a session in the stream, oldest first: its @seq and type (what the owners published and JetStream acknowledged). */
export async function streamUpdates (url: string, prefix: string, session: string): Promise<Array<{ seq: number, type: string }>> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstream, jetstreamManager, DeliverPolicy } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: url })
  try {
    const js = jetstream(nc)
    const jsm = await jetstreamManager(nc)
    const stream = `${prefix}-updates`
    const subject = `${prefix}.updates.${session}`
    const out: Array<{ seq: number, type: string }> = []
    // Read up to the subject's last message as it is now (its stream sequence), not until the
    // consumer's pending count says 0: that count can reach 0 before the end of a long stream.
    const last = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null)
    if (last === null) return out
    const consumer = await js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All })
    const messages = await consumer.consume()
    const timer = setTimeout(() => { void messages.close() }, 60_000)
    for await (const m of messages) {
      const seq = Number(m.headers?.get('Tdb-Seq') ?? 0)
      if (seq > 0) out.push({ seq, type: (m.json<Record<string, unknown>>())['@type'] as string })
      if (m.seq >= last.seq) break
    }
    clearTimeout(timer)
    await messages.close()
    return out
  } finally {
    await nc.close()
  }
}

/** Whether a backup of the session is in the cluster's object store. */
export async function hasBackup (url: string, prefix: string, session: string): Promise<boolean> {
  const { connect } = await import('@nats-io/transport-node')
  const { Objm } = await import('@nats-io/obj')
  const nc = await connect({ servers: url })
  try {
    const os = await new Objm(nc).open(`${prefix}-backups`)
    return (await os.info(session)) !== null
  } finally {
    await nc.close()
  }
}

/**
 * Checks one client's updates against the stream: strictly increasing @seq
 * (nothing twice) and, from its first one on, every update of the stream
 * its filters let through (nothing lost).
 */
export function compareWithStream (received: readonly Msg[], stream: Array<{ seq: number, type: string }>, accepts: (type: string) => boolean): { duplicated: number, lost: number[], invented: number[] } {
  const all = received.map(m => m['@seq'] as number)
  // What an attach without last_seq starts with, the current authorization and connection states, may be older than what follows.
  let skip = 0
  while (skip < received.length && skip < 2 && ['updateAuthorizationState', 'updateConnectionState'].includes(received[skip]?.['@type'] as string)) skip++
  const seqs = all.slice(skip)
  let duplicated = 0
  for (let i = 1; i < seqs.length; i++) if ((seqs[i] as number) <= (seqs[i - 1] as number)) duplicated++
  const have = new Set(seqs)
  const first = seqs[0] ?? Infinity
  const published = new Set(stream.map(u => u.seq))
  const lost = stream.filter(u => u.seq >= first && accepts(u.type) && !have.has(u.seq)).map(u => u.seq)
  const invented = all.filter(s => !published.has(s))
  return { duplicated, lost, invented }
}

/** How many messages the cluster's update stream holds (a private NATS with one session: its published updates). */
export async function streamCounter (url: string, prefix: string): Promise<{ count(): Promise<number>, close(): Promise<void> }> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstreamManager } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 })
  const jsm = await jetstreamManager(nc)
  return {
    count: async () => (await jsm.streams.info(`${prefix}-updates`)).state.messages,
    close: async () => { await nc.close() }
  }
}

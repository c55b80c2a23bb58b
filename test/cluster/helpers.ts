/** Cluster test helpers: nodes in this process on a shared or private NATS, private nats-server processes. */
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { startBroker, tempDir, type TestBroker } from '../helpers/broker.js'
import type { Test } from 'tap'
import { TestClient, type Msg } from '../helpers/client.js'
import { EVENT_HEADER, decodeUpdates } from '../../src/cluster/update-message.js'
import { freePort, hasBackup, startNatsServer, type NatsServer } from '../../bench/lib/nats-server.js'

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

export interface TwoNodesOnly { a: TestBroker, b: TestBroker, ca: TestClient, cb: TestClient, prefix: string }
export interface TwoNodes extends TwoNodesOnly { session: string }
/** Options of each node (servers, cluster settings) for twoNodes and twoNodesAndSession. */
export interface TwoNodesOptions { a?: NodeOptions, b?: NodeOptions }

/** Nodes a and b of a fresh cluster (on the shared NATS unless `opts` say otherwise) and a client of each; all stopped at the end of `t`. */
export async function twoNodes (t: Test, opts: TwoNodesOptions = {}): Promise<TwoNodesOnly> {
  const prefix = freshPrefix()
  const a = await startNode(prefix, 'a', opts.a)
  t.teardown(async () => { await a.stop() })
  const b = await startNode(prefix, 'b', opts.b)
  t.teardown(async () => { await b.stop() })
  const ca = await TestClient.connect(a.port)
  const cb = await TestClient.connect(b.port)
  t.teardown(() => { ca.close(); cb.close() })
  return { a, b, ca, cb, prefix }
}

/**
 * twoNodes, and a session created through a (waiting for its phone number)
 * that node b's catalogue lists.
 */
export async function twoNodesAndSession (t: Test, opts: TwoNodesOptions = {}): Promise<TwoNodes> {
  const nodes = await twoNodes(t, opts)
  const { b, ca } = nodes
  const session = await ca.createSession()
  await ca.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'), 30_000)
  await until(() => b.broker.registry.get(session) !== undefined, 10_000, 'the session in node b\'s catalogue')
  return { ...nodes, session }
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

export type { NatsServer }
export { freePort, hasBackup }

/** A private nats-server with JetStream on a free port (for tests that stop or restart it); its store is a temporary folder unless `dir`. */
export async function startNats (port?: number, dir?: string): Promise<NatsServer> {
  return await startNatsServer({ dir: dir ?? tempDir('tdbroker-nats-'), ...(port === undefined ? {} : { port }) })
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

export interface StreamTally {
  /** Every update of the session the stream holds so far, oldest first: its @seq and type. */
  readonly updates: ReadonlyArray<{ seq: number, type: string }>
  close(): Promise<void>
}

/**
 * Follows a session's subject in the update stream from its first message
 * (what the owners published and JetStream acknowledged), decoding batches
 * as the nodes do. Used on a NATS that is not restarted while it runs.
 */
export async function streamTally (url: string, prefix: string, session: string): Promise<StreamTally> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstream, DeliverPolicy } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: url })
  const updates: Array<{ seq: number, type: string }> = []
  const consumer = await jetstream(nc).consumers.get(`${prefix}-updates`, { filter_subjects: `${prefix}.updates.${session}`, deliver_policy: DeliverPolicy.All })
  const messages = await consumer.consume()
  const done = (async () => {
    for await (const m of messages) {
      if (m.headers?.get(EVENT_HEADER) !== undefined && m.headers?.get(EVENT_HEADER) !== '') continue
      let decoded: ReturnType<typeof decodeUpdates> = []
      // Something that is not an owner's message (a test's junk): skipped, as the nodes skip it.
      try { decoded = decodeUpdates(name => m.headers?.get(name), m.string()) } catch {}
      for (const u of decoded) updates.push({ seq: u.seq, type: u.update['@type'] })
    }
  })()
  return {
    updates,
    async close () { await messages.close(); await done.catch(() => {}); await nc.close() }
  }
}

/**
 * Waits (bounded) until every client's last update is the stream's last one
 * its filters let through, and answers the stream and each client's updates
 * as of that same moment. The owner may still be publishing when the load
 * stops, so the stream is compared at a moment both sides agree on, not read once.
 */
export async function settled (tally: StreamTally, received: Array<() => readonly Msg[]>, accepts: (type: string) => boolean, timeoutMs: number): Promise<{ stream: Array<{ seq: number, type: string }>, received: Msg[][] }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    // One synchronous look at both sides.
    const stream = [...tally.updates]
    const now = received.map(r => [...r()])
    const last = stream.filter(u => accepts(u.type)).at(-1)?.seq
    if (last !== undefined && now.every(r => r.at(-1)?.['@seq'] === last)) return { stream, received: now }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for every client to reach the stream's last update ${String(last)} (${stream.length} updates, @seq ${ranges(stream.map(u => u.seq))}); clients at ${now.map(r => String(r.at(-1)?.['@seq'])).join(', ')}`)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
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

/** Sequence numbers as runs, for messages: "1-53 10001-10038". */
export function ranges (seqs: readonly number[]): string {
  const out: string[] = []
  let from: number | undefined
  let to = 0
  for (const n of seqs) {
    if (from !== undefined && n === to + 1) { to = n; continue }
    if (from !== undefined) out.push(from === to ? String(from) : `${from}-${to}`)
    from = n
    to = n
  }
  if (from !== undefined) out.push(from === to ? String(from) : `${from}-${to}`)
  return out.join(' ')
}

/**
 * kill -9 of the owner (a child process) during a stream of updates: another
 * node serves the session within the lease TTL plus its start, and every
 * client, the one whose node died included (it resumes on another node with
 * last_seq), has every update the broker published, each once.
 */
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ALWAYS_ALLOWED_UPDATES } from '../../src/policy/policy.js'
import { tempDir } from '../helpers/broker.js'
import { startCli, stopCli } from '../helpers/cli.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { REQUESTS, UPDATES, compareWithStream, freshPrefix, hasBackup, login, ranges, settled, startNats, startNode, streamTally, until } from './helpers.js'

// Thousands of sandbox messages through three nodes on a shared 2-core machine: more than tap's default 120 s.
t.setTimeout(400_000)
const TOTAL = Number(process.env.CLUSTER_FAILOVER_UPDATES ?? 5000)
const accepts = (type: string): boolean => ALWAYS_ALLOWED_UPDATES.has(type) || UPDATES.includes(type)

t.test('kill -9 of the owner during a stream of updates', async t => {
  const nats = await startNats()
  t.teardown(async () => { await nats.stop() })
  const prefix = freshPrefix()
  const cluster = { prefix, servers: [nats.url], lease_ttl: 4, heartbeat: 0.5, updates_per_session: 1_000_000 }
  const common = { update_buffer_size: 100_000 }

  // Node a runs in its own process, so it can be killed.
  const dir = tempDir()
  mkdirSync(join(dir, 'sessions'))
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({
    host: '127.0.0.1', port: 0, debug_level: 3, tdlib: { backend: 'sandbox', path: 'sessions' },
    allowed_requests: REQUESTS, allowed_updates: UPDATES, ...common, cluster: { ...cluster, node: 'a' }
  }))
  const a = await startCli(dir, ['start', '--settings', join(dir, 'settings.json')])
  t.teardown(async () => { if (a.child.exitCode === null && a.child.signalCode === null) await stopCli(a) })
  const b = await startNode(prefix, 'b', { servers: [nats.url], cluster, raw: common })
  t.teardown(async () => { await b.stop() })
  const c = await startNode(prefix, 'c', { servers: [nats.url], cluster, raw: common })
  t.teardown(async () => { await c.stop() })

  const ca = await TestClient.connect(a.port)
  t.teardown(() => { ca.close() })
  const session = await ca.createSession()
  await login(ca, session)
  await until(async () => await hasBackup(nats.url, prefix, session), 30_000, 'the backup taken at login')
  await until(() => b.broker.registry.get(session)?.state === 'running', 10_000, 'node b to see the session')
  const owner = (b.broker.registry.get(session) as unknown as { owner: string | undefined }).owner
  t.equal(owner, 'a', 'node a owns the session')

  const cb = await TestClient.connect(b.port)
  const cc = await TestClient.connect(c.port)
  t.teardown(() => { cb.close(); cc.close() })
  for (const client of [cb, cc]) t.equal((await client.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached')
  const me = await cb.request({ '@type': 'getMe', '@session': session }, 30_000)

  // The stream: messages to Saved Messages, 16 requests in flight, through node b, until TOTAL updates were published
  // (counted in the stream; clients receive those their allowed_updates let through). A new owner's numbers
  // start above every number the old one may have used, so @seq jumps at the failover: the count is the stream's.
  const tally = await streamTally(nats.url, prefix, session)
  t.teardown(async () => { await tally.close() })
  await until(() => tally.updates.length > 0, 30_000, 'the stream to be read')
  let count = tally.updates.length
  const start = count
  let killedAt = 0
  let firstAnswerAfterKill = 0
  let errors = 0
  const deadline = Date.now() + 240_000
  const send = async (i: number): Promise<void> => {
    const answer = await cb.request({ '@type': 'sendMessage', chat_id: me.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: `m${i}` } }, '@session': session }, 60_000).catch(() => ({ '@type': 'error' }) as Msg)
    if (answer['@type'] === 'message') {
      if (killedAt > 0 && firstAnswerAfterKill === 0) firstAnswerAfterKill = Date.now()
      return
    }
    errors++
    // A new owner's TDLib knows no chats yet.
    if (answer['@type'] === 'error' && /chat not found/i.test(String(answer.message))) await cb.request({ '@type': 'createPrivateChat', user_id: me.id, '@session': session }, 30_000).catch(() => {})
    else await new Promise(resolve => setTimeout(resolve, 100))
  }
  let i = 0
  while (count - start < TOTAL) {
    if (Date.now() > deadline) throw new Error(`only ${count - start} updates within the time limit`)
    if (killedAt === 0 && count - start >= TOTAL / 2) {
      a.child.kill('SIGKILL')
      killedAt = Date.now()
      await a.exited
    }
    await Promise.all(Array.from({ length: 16 }, async () => { await send(i++) }))
    count = tally.updates.length
  }
  t.ok(killedAt > 0, 'node a was killed halfway')
  const failoverMs = firstAnswerAfterKill - killedAt
  t.ok(firstAnswerAfterKill > 0 && failoverMs < 4000 + 20_000, `another node answered ${failoverMs} ms after the kill (lease_ttl 4 s plus the start)`)
  t.comment(`failover: ${failoverMs} ms; ${errors} requests refused meanwhile`)
  const newOwner = (b.broker.registry.get(session) as unknown as { owner: string | undefined }).owner
  t.ok(newOwner === 'b' || newOwner === 'c', `node ${String(newOwner)} runs the session now`)

  // The client of the dead node comes back through node c, from the last number it saw.
  const lastSeen = ca.updates(session).at(-1)?.['@seq'] as number
  const cr = await TestClient.connect(c.port)
  t.teardown(() => { cr.close() })
  const resumed = await cr.request({ '@type': 'broker.attachSession', session, last_seq: lastSeen }, 30_000)
  t.equal((resumed.resume as Msg | undefined)?.complete, true, 'its resume is complete')

  const { stream, received } = await settled(tally, [() => cb.updates(session), () => cc.updates(session), () => [...ca.updates(session), ...cr.updates(session)]], accepts, 60_000)
  const last = stream.at(-1)?.seq as number
  t.comment(`stream @seq ${ranges(stream.map(u => u.seq))}, the last ${last}`)
  t.ok(stream.length - start >= TOTAL, `the stream holds ${stream.length} updates (${cb.updates(session).length} of them for the client on b)`)
  for (const [i, name] of ['client on b', 'client on c', 'client of the dead node'].entries()) {
    const { duplicated, lost, invented } = compareWithStream(received[i] ?? [], stream, accepts)
    t.equal(duplicated, 0, `${name}: no update twice`)
    t.same(lost, [], `${name}: no update lost`)
    t.same(invented, [], `${name}: nothing that was not published`)
  }
})

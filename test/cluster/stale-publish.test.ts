/**
 * After a partition heals, an owner that lost its lease may still publish
 * an update batch it had queued. Every owner's publish expects the subject's
 * last stream sequence it knows, and a new owner claims the subject first
 * (owner.ts), so the server refuses the stale publish: nothing of it
 * reaches the stream, and the refused publisher stops (onStale) while the
 * new owner goes on publishing. Two publishers of one session's subject, on
 * the shared NATS, with lease revisions as Owner gives them.
 */
import t from 'tap'
import { headers } from '@nats-io/transport-node'
import { createLogger } from '../../src/log/logger.js'
import { openLink } from '../../src/cluster/link.js'
import { Publisher } from '../../src/cluster/owner.js'
import { OutgoingUpdate } from '../../src/session/outgoing.js'
import type { ClusterSettings } from '../../src/cluster/settings.js'
import { LogSink } from '../helpers/log-sink.js'
import { freshPrefix, streamTally, until } from './helpers.js'

const URL = 'nats://127.0.0.1:4222'
const SESSION = '4242'

t.test('a publish of an owner that a newer owner replaced is refused by the server, and that owner stops', async t => {
  const prefix = freshPrefix()
  const settings: ClusterSettings = { node: 'a', servers: [URL], prefix, lease_ttl: 4, heartbeat: 1, request_timeout: 5, updates_max_age: 600, updates_per_session: 1000, backup_interval: 0, weight: 1 }
  const sink = new LogSink()
  const log = createLogger({ debugLevel: 3, destination: sink })
  const link = await openLink(settings, log)
  t.teardown(async () => {
    await link.jsm.streams.delete(link.stream).catch(() => {})
    await link.nc.close()
  })
  const tally = await streamTally(URL, prefix, SESSION)
  t.teardown(async () => { await tally.close() })
  const update = (seq: number): OutgoingUpdate => new OutgoingUpdate(SESSION, seq, { '@type': 'updateOption', name: 'n', value: { '@type': 'optionValueInteger', value: String(seq) } })

  // The old owner (lease revision 5) claims the subject and publishes 1 and 2.
  const old = new Publisher(SESSION, link, log)
  let oldStale = false
  old.onStale = () => { oldStale = true }
  t.equal(await old.claim('5 a', 5000), 0, 'the first owner numbers from 0')
  old.deliver(update(1))
  old.deliver(update(2))
  await until(() => tally.updates.length === 2, 10_000, 'the old owner\'s two updates in the stream')

  // Its lease expired meanwhile (a partition); a newer owner (revision 9) claims the subject and publishes 3.
  const newer = new Publisher(SESSION, link, log)
  let newerStale = false
  newer.onStale = () => { newerStale = true }
  t.equal(await newer.claim('9 b', 5000), 2, 'the new owner numbers above the old one\'s last update')
  newer.deliver(update(3))
  await until(() => tally.updates.length === 3, 10_000, 'the new owner\'s update in the stream')

  // The partition heals and the old owner publishes what it had queued.
  old.deliver(update(4))
  old.deliver(update(5))
  await until(() => oldStale, 10_000, 'the old owner to be told it is stale')
  t.ok(sink.find(r => r.msg.startsWith('update stream refused a publish: a newer owner published')), 'the refusal is logged')

  // What a queued message of the old owner that was already on its way looks like to the server: refused for its sequence.
  const last = await link.jsm.streams.getMessage(link.stream, { last_by_subj: link.updates(SESSION) })
  const h = headers()
  h.set('Tdb-Seq', '6')
  const refusal = await link.js.publish(link.updates(SESSION), JSON.stringify(update(6).update), { headers: h, expect: { lastSubjectSequence: (last?.seq ?? 0) - 1 } }).then(() => undefined, (e: unknown) => e as Error & { code?: number })
  t.equal(refusal?.code, 10071, 'a publish expecting an older last sequence gets JetStream\'s wrong-last-sequence error')
  t.match(refusal?.message, /wrong last sequence/i, 'with its message')

  // The new owner goes on.
  newer.deliver(update(7))
  await until(() => tally.updates.length === 4, 10_000, 'the new owner\'s next update in the stream')
  t.same(tally.updates.map(u => u.seq), [1, 2, 3, 7], 'the stream has both owners\' accepted updates and nothing the old one sent after the new one claimed the subject')
  t.notOk(newerStale, 'the new owner is not stopped')
  t.equal(old.deliver(update(8)), false, 'the stale publisher takes nothing more')

  // Something that is no owner writing on the subject does not stop the owner: it expects that message from then on.
  await link.js.publish(link.updates(SESSION), 'junk')
  newer.deliver(update(9))
  await until(() => tally.updates.at(-1)?.seq === 9, 10_000, 'the owner\'s update after the junk')
  t.notOk(newerStale, 'junk on the subject does not make the owner stale')
})

/**
 * A consumer's queue survives a broker restart: what it confirmed does not
 * come again, what it did not is still there with the same update_id, and
 * new updates continue the numbering. Long polling waits for an update and
 * a second getUpdates ends the first with 409, as Telegram does.
 */
import t from 'tap'
import { tempDir } from '../helpers/broker.js'
import { botCall, customer, prepareWorld, say, startGateway } from './helpers.js'

t.test('queues survive a restart without loss or repetition', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-'), { backend: {} })
  const token = world.consumers[0]!.token
  let running = await startGateway(world)
  let alice = await customer(running, world)

  // Long polling: the call waits until the message arrives.
  const polled = botCall(running.apiRoot, token, 'getUpdates', { timeout: 20 })
  await say(alice, 'one')
  const first = await polled
  t.same(first.body.result.map((u: any) => [u.update_id, u.message.text]), [[1, 'one']], 'a waiting getUpdates gets the update')
  for (const text of ['two', 'three']) await say(alice, text)
  // The last one must be queued before the broker stops; poll until all three are there.
  let seen: any[] = []
  for (let i = 0; i < 100 && seen.length < 3; i++) seen = (await botCall(running.apiRoot, token, 'getUpdates', { timeout: 1 })).body.result
  t.same(seen.map((u: any) => u.update_id), [1, 2, 3])
  // Confirms update 1 (offset 2), reads none yet.
  const confirmed = await botCall(running.apiRoot, token, 'getUpdates', { offset: 2, limit: 1 })
  t.same(confirmed.body.result.map((u: any) => u.update_id), [2], 'limit')
  alice.close()
  await running.stop()

  running = await startGateway(world)
  t.teardown(async () => { await running.stop() })
  const again = await botCall(running.apiRoot, token, 'getUpdates')
  t.same(again.body.result.map((u: any) => [u.update_id, u.message.text]), [[2, 'two'], [3, 'three']], 'unconfirmed updates are kept, confirmed ones are gone')

  alice = await customer(running, world)
  t.teardown(() => { alice.close() })
  const waiting = botCall(running.apiRoot, token, 'getUpdates', { offset: 4, timeout: 20 })
  await say(alice, 'four')
  const fresh = await waiting
  t.same(fresh.body.result.map((u: any) => [u.update_id, u.message.text]), [[4, 'four']], 'numbering continues after the restart')

  const older = botCall(running.apiRoot, token, 'getUpdates', { offset: 5, timeout: 20 })
  // A round trip in between, so the first call is (in practice) waiting when the second arrives.
  await botCall(running.apiRoot, token, 'getWebhookInfo')
  const newer = botCall(running.apiRoot, token, 'getUpdates', { offset: 5, timeout: 1 })
  const conflict = await older
  t.same([conflict.status, conflict.body.error_code], [409, 409], 'the older call ends with 409')
  t.match(conflict.body.description, /^Conflict: terminated by other getUpdates request/)
  t.same((await newer).body.result, [], 'the newer call waits its own timeout')
  const info = await botCall(running.apiRoot, token, 'getWebhookInfo')
  t.same(info.body.result, { url: '', has_custom_certificate: false, pending_update_count: 0 })
})

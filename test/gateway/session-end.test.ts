/**
 * A bot session that ends while the broker runs (a client sent TDLib's
 * `close`, TDLib failed, a cluster node gave it up) is started again by the
 * gateway, and its consumers go on getting updates without a broker
 * restart.
 */
import t from 'tap'
import { tempDir } from '../helpers/broker.js'
import { botCall, customer, prepareWorld, REQUESTS, say, startGateway, until } from './helpers.js'

t.test('the gateway starts its bot session again after TDLib closed it', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-'), { backend: {} })
  // The customer's client may send account-wide requests such as close.
  world.clients[0] = { ...world.clients[0], scope: { account: true } }
  const running = await startGateway(world, {}, {}, { allowed_requests: [...REQUESTS, 'close'] })
  t.teardown(async () => { await running.stop() })
  const alice = await customer(running, world)
  t.teardown(() => { alice.close() })
  const token = world.consumers[0]!.token
  const polled = botCall(running.apiRoot, token, 'getUpdates', { timeout: 20 })
  await say(alice, 'before')
  const first = (await polled).body.result
  t.same(first.map((u: any) => [u.update_id, u.message.text]), [[1, 'before']], 'updates arrive before the session ends')

  const attached = await alice.tcp.request({ '@type': 'broker.attachSession', session: world.botSession })
  t.equal(attached['@type'], 'broker.attached', 'the customer attaches to the bot session too')
  const closed = await alice.tcp.request({ '@type': 'close', '@session': world.botSession })
  t.equal(closed['@type'], 'ok', `a client closes the bot session (${JSON.stringify(closed)})`)
  await until(() => running.logs.find(r => r.msg === 'the bot session ended: the gateway starts it again') !== undefined, 'the gateway to see the end')
  await until(() => running.logs.find(r => r.msg === 'the bot session runs again: Bot API consumers get its updates') !== undefined, 'the gateway to start the session again', 15_000)
  t.equal(running.broker.registry.get(world.botSession)?.state, 'running', 'the session runs again')

  const again = botCall(running.apiRoot, token, 'getUpdates', { offset: 2, timeout: 20 })
  await say(alice, 'after')
  const second = (await again).body.result
  t.same(second.map((u: any) => [u.update_id, u.message.text]), [[2, 'after']], 'updates arrive again, numbered on')
  const sent = await botCall(running.apiRoot, token, 'sendMessage', { chat_id: first[0].message.chat.id, text: 'still here' })
  t.equal(sent.status, 200, 'the consumer sends through the restarted session')
})

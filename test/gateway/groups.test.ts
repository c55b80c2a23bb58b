/**
 * A consumer group end to end: three unmodified grammY bots (bot.start())
 * poll with one group token, each as its own instance (<token>~<instance>).
 * Two customers write; every message reaches exactly one instance, each
 * chat's messages one instance in order; when the instance holding a chat
 * stops, the chat's next messages go to another instance after the handover
 * time. (A plain consumer's second concurrent getUpdates ending the first
 * with 409 is in restart.test.ts; a group instance's in group-queue.test.ts.)
 */
import t from 'tap'
import { Bot } from 'grammy'
import { tempDir } from '../helpers/broker.js'
import { ALICE, DAVE } from '../resolve/helpers.js'
import { botCall, customer, prepareWorld, say, startGateway, until } from './helpers.js'

interface Seen { instance: string, chat: number, text: string }

t.test('three grammY instances share a group token: once each, per-chat affinity and order, failover', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-group-'), { workers: {} })
  const running = await startGateway(world, {}, { workers: { group: true, group_handover_timeout: 1 } })
  t.teardown(async () => { await running.stop() })
  const workers = world.consumers[0]!
  const customers = [await customer(running, world, ALICE), await customer(running, world, DAVE)]
  t.teardown(() => { for (const c of customers) c.close() })
  const names = ['alice', 'dave']
  // The chat as the bot sees it: the customer's user id.
  const botChat = [ALICE.id, DAVE.id]

  const seen: Seen[] = []
  const bots = new Map<string, Bot>()
  const polling: Array<Promise<void>> = []
  for (const instance of ['w1', 'w2', 'w3']) {
    const bot = new Bot(`${workers.token}~${instance}`, { client: { apiRoot: running.apiRoot } })
    bot.on('message:text', ctx => { seen.push({ instance, chat: ctx.chat.id, text: ctx.message.text }) })
    bot.catch(e => { t.fail(`${instance}: ${String(e.error)}`) })
    await bot.init()
    bots.set(instance, bot)
    polling.push(bot.start({ timeout: 1 }))
  }
  t.teardown(async () => {
    await Promise.all([...bots.values()].map(async b => { if (b.isRunning()) await b.stop() }))
    await Promise.all(polling)
  })

  const sent: string[] = []
  for (let round = 1; round <= 4; round++) {
    for (const [i, c] of customers.entries()) {
      const text = `${names[i] as string}-${round}`
      await say(c, text)
      sent.push(text)
    }
  }
  await until(() => seen.length >= sent.length, `${sent.length} messages (got ${seen.map(s => s.text).join()})`, 30_000)
  t.same(seen.map(s => s.text).sort(), [...sent].sort(), 'every message was handled exactly once over all instances')

  const ownerOf = new Map<number, string>()
  for (const i of customers.keys()) {
    const ofChat = seen.filter(s => s.chat === botChat[i])
    t.equal(new Set(ofChat.map(s => s.instance)).size, 1, `${names[i] as string}'s chat went to one instance`)
    t.same(ofChat.map(s => s.text), [1, 2, 3, 4].map(r => `${names[i] as string}-${r}`), `${names[i] as string}'s messages came in order`)
    ownerOf.set(botChat[i]!, ofChat[0]!.instance)
  }

  // The instance holding Alice's chat stops; her next messages go to another one.
  const alice = customers[0]!
  const stopped = ownerOf.get(ALICE.id)!
  await bots.get(stopped)!.stop()
  const before = seen.length
  await say(alice, 'alice-5')
  await say(alice, 'alice-6')
  await until(() => seen.length >= before + 2, 'the messages after the failover', 30_000)
  const after = seen.slice(before)
  t.same(after.map(s => s.text), ['alice-5', 'alice-6'], 'after the failover, in order, once')
  t.equal(new Set(after.map(s => s.instance)).size, 1, 'one instance took the chat over')
  t.not(after[0]!.instance, stopped, 'not the stopped one')

  // Dave's chat did not move if its instance was alive.
  await say(customers[1]!, 'dave-5')
  await until(() => seen.some(s => s.text === 'dave-5'), 'dave-5', 30_000)
  const dave5 = seen.find(s => s.text === 'dave-5')!
  if (ownerOf.get(DAVE.id) !== stopped) t.equal(dave5.instance, ownerOf.get(DAVE.id), "dave's chat stayed with its instance")
  else t.not(dave5.instance, stopped, "dave's chat, also on the stopped instance, moved too")
  t.equal(seen.length, before + 3, 'nothing was handled twice')

  // Without an instance name, a group's getUpdates is refused with what to do.
  const unnamed = await botCall(running.apiRoot, workers.token, 'getUpdates')
  t.equal(unnamed.status, 400)
  t.match(unnamed.body.description, /each instance must name itself/)
  const header = await fetch(`${running.apiRoot}/bot${workers.token}/getUpdates`, { headers: { 'x-tdbroker-instance': 'w9' } })
  t.equal(header.status, 200, 'the X-Tdbroker-Instance header names an instance too')
  const badName = await botCall(running.apiRoot, `${workers.token}~no/slash`, 'getUpdates')
  t.equal(badName.status, 404, 'a slash is not part of a token')
  const badChars = await botCall(running.apiRoot, `${workers.token}~${'x'.repeat(65)}`, 'getUpdates')
  t.same([badChars.status, badChars.body.description], [400, 'Bad Request: an instance name must be 1 to 64 characters A-Z, a-z, 0-9, ".", "_" and "-"'])
  const hook = await botCall(running.apiRoot, `${workers.token}~w1`, 'setWebhook', { url: 'https://example.com/hook' })
  t.equal(hook.status, 400, 'a group takes no webhook')
  t.match(hook.body.description, /this consumer is a group/)

})

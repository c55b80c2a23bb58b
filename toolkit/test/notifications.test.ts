/**
 * Notifications on the sandbox through the broker: 50 chats register for a
 * topic with /subscribe, one notification reaches each of them, paced, with
 * a FLOOD_WAIT honoured on the way; a chat that cannot be reached is
 * reported.
 */
import { join } from 'node:path'
import t from 'tap'
import { Toolkit } from '../src/index.js'
import { BOT_ID, startWorld } from './helpers.js'

t.test('a notification to 50 registered chats', async t => {
  const w = await startWorld()
  t.teardown(w.stop)
  const errors: unknown[] = []
  const bot = new Toolkit(w.bot, {
    database: join(w.dir, 'notify.sqlite'), topics: ['news'], onError: e => { errors.push(e) },
    notifications: { ratePerSecond: 50, maxAttempts: 3 }
  })
  await bot.start()
  const world = w.sandbox.world
  const users = Array.from({ length: 50 }, (_, i) => 2_000_000 + i)
  for (const id of users) world.addUser({ id, phone: `1555200${String(id % 10_000).padStart(4, '0')}`, first_name: `Reader ${id}` })

  const confirmed = new Set<number>()
  const subscribed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`only ${confirmed.size} of 50 subscriptions confirmed within 60 s`)) }, 60_000)
    w.bot.on('update', u => {
      if (u['@type'] === 'updateMessageSendSucceeded' && u.message.content['@type'] === 'messageText' && u.message.content.text.text === 'Subscribed to news.') {
        confirmed.add(u.message.chat_id)
        if (confirmed.size === 50) { clearTimeout(timer); resolve() }
      }
    })
  })
  for (const id of users) world.injectMessages(id, BOT_ID, ['/subscribe news'])
  await subscribed
  t.equal(bot.notifier.subscribers('news').length, 50, '50 chats registered')

  bot.notifier.subscribe('news', 999_999_999) // a chat the bot cannot reach
  w.sandbox.faults.floodWait({ userId: BOT_ID }, 1, 1, ['sendMessage'])
  const report = await bot.notify('news', 'Hello, readers')
  t.equal(report.delivered.length, 50, 'delivered to the 50')
  t.same(report.failed.map(f => f.chatId), [999_999_999], 'the unreachable chat is reported')
  t.equal(report.floodWaits, 1, 'the FLOOD_WAIT was honoured and the message sent again')
  t.same(report.delivered.map(s => s.chatId).sort((a, b) => a - b), users, 'one message in each reader\'s chat, as Telegram confirmed it')
  t.ok(report.delivered.every(s => s.message.content['@type'] === 'messageText' && s.message.content.text.text === 'Hello, readers' && s.id % 1048576 === 0), 'each with its text and a server message id')
  await bot.stop()
  t.same(errors, [])
})

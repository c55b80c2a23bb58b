/**
 * Dialogs and the state machine on the sandbox through the broker: a
 * three-step dialog with buttons, another user's message and button press
 * not answering it, a dialog timing out, states with entry and exit,
 * button presses and timers outside dialogs.
 */
import { join } from 'node:path'
import t from 'tap'
import { Toolkit, DialogTimeoutError } from '../src/index.js'
import { BOT_ID, IDS, LOUNGE, startWorld, userOf } from './helpers.js'

t.test('dialogs and states on the sandbox', async t => {
  const w = await startWorld()
  t.teardown(w.stop)
  const errors: unknown[] = []
  const log: string[] = []
  const bot = new Toolkit(w.bot, {
    database: join(w.dir, 'dialogs.sqlite'),
    onError: e => { errors.push(e) },
    states: {
      idle: {
        onEntry: ctx => { log.push(`enter idle ${ctx.chatId}`) },
        onExit: () => { log.push('exit idle') },
        onButton: async (ctx, press) => { await press.answer(`pressed ${press.id}`); await ctx.send(`button ${press.id} in state ${ctx.state}`) }
      },
      waiting: {
        onEntry: async ctx => { log.push('enter waiting'); ctx.setTimer('wake', 200) },
        onExit: () => { log.push('exit waiting') },
        onTimer: async (ctx, name) => { await ctx.send(`timer ${name} fired`); return 'idle' },
        commands: []
      }
    },
    commands: [
      {
        name: 'order', description: 'Orders a pizza in three steps',
        run: async ctx => {
          const size = await ctx.ask('Which size?', { timeoutMs: 20_000, buttons: [{ id: 's', text: 'Small' }, { id: 'l', text: 'Large' }] })
          if (size.kind !== 'button') return
          await ctx.edit(size.question, `Size: ${size.id}`, [])
          const name = await ctx.ask('Your name?', { timeoutMs: 20_000 })
          const ok = await ctx.ask(`Confirm ${size.id} for ${name.kind === 'text' ? name.text : '?'}?`, { timeoutMs: 20_000, buttons: [[{ id: 'yes', text: 'Yes' }], [{ id: 'no', text: 'No' }]] })
          await ctx.send(ok.kind === 'button' && ok.id === 'yes' ? 'Ordered.' : 'Cancelled.')
        }
      },
      {
        name: 'slow', description: 'Asks and gives up fast',
        run: async ctx => { await ctx.ask('Quick, a word?', { timeoutMs: 300 }) },
        onTimeout: async (ctx, e) => { await ctx.send(`timed out after ${e.timeoutMs} ms`) }
      },
      { name: 'slower', description: 'Asks, default timeout answer', run: async ctx => { await ctx.ask('Another word?', { timeoutMs: 300 }) } },
      { name: 'menu', description: 'Sends buttons no dialog waits for', run: async ctx => { await ctx.send('Pick', { buttons: [{ id: 'a', text: 'A' }] }) } },
      { name: 'sleep', description: 'Goes to the waiting state', run: () => 'waiting' }
    ]
  })
  await bot.start()
  const alice = await userOf(w, 'alice')
  const bob = await userOf(w, 'bob')

  await t.test('a three-step dialog with buttons, in a private chat', async t => {
    await alice.say(BOT_ID, '/order')
    const q1 = await alice.inbox.next(BOT_ID)
    t.equal(q1.reply_markup?.['@type'], 'replyMarkupInlineKeyboard', 'the question has buttons')
    await alice.press(BOT_ID, q1.id, 's')
    const q2 = await alice.inbox.next(BOT_ID)
    t.equal(q2.content['@type'] === 'messageText' && q2.content.text.text, 'Your name?')
    const edited = await alice.session.invoke({ '@type': 'getMessage', chat_id: BOT_ID, message_id: q1.id })
    t.equal(edited.content['@type'] === 'messageText' && edited.content.text.text, 'Size: s', 'the first question was edited')
    t.notOk(edited.reply_markup, 'and lost its buttons')
    await alice.say(BOT_ID, 'Alice')
    const q3 = await alice.inbox.next(BOT_ID)
    t.equal(q3.content['@type'] === 'messageText' && q3.content.text.text, 'Confirm s for Alice?')
    await alice.press(BOT_ID, q3.id, 'yes')
    t.equal(await alice.inbox.nextText(BOT_ID), 'Ordered.')
  })

  await t.test('in a group, only the asked user answers', async t => {
    await bob.say(LOUNGE, '/order')
    const q1 = await bob.inbox.next(LOUNGE)
    t.equal(await alice.press(LOUNGE, q1.id, 'l'), 'This question is for someone else.', 'another member\'s press is refused')
    await bob.press(LOUNGE, q1.id, 'l')
    await bob.inbox.next(LOUNGE) // Your name?
    await alice.say(LOUNGE, '/menu') // another member's message goes on to the machine while Bob's dialog waits
    t.equal(await alice.inbox.nextText(LOUNGE), 'Pick')
    await bob.say(LOUNGE, 'Bob')
    const q3 = await bob.inbox.next(LOUNGE)
    t.equal(q3.content['@type'] === 'messageText' && q3.content.text.text, 'Confirm l for Bob?', 'Alice\'s message did not answer Bob\'s question')
    await bob.press(LOUNGE, q3.id, 'no')
    t.equal(await bob.inbox.nextText(LOUNGE), 'Cancelled.')
  })

  await t.test('a dialog times out: the command\'s handler, or the default message', async t => {
    await alice.say(BOT_ID, '/slow')
    t.equal(await alice.inbox.nextText(BOT_ID), 'Quick, a word?')
    t.equal(await alice.inbox.nextText(BOT_ID), 'timed out after 300 ms')
    await alice.say(BOT_ID, '/slower')
    t.equal(await alice.inbox.nextText(BOT_ID), 'Another word?')
    t.equal(await alice.inbox.nextText(BOT_ID), 'No answer in time; start again when you are ready.')
    t.ok(new DialogTimeoutError(1, 2, 3) instanceof Error)
  })

  await t.test('a button press outside a dialog, states with entry and exit, a timer', async t => {
    await alice.say(BOT_ID, '/menu')
    const pick = await alice.inbox.next(BOT_ID)
    t.equal(await alice.press(BOT_ID, pick.id, 'a'), 'pressed a', 'the state\'s onButton answered the press')
    t.equal(await alice.inbox.nextText(BOT_ID), 'button a in state idle')
    await alice.say(BOT_ID, '/sleep')
    t.equal(await alice.inbox.nextText(BOT_ID), 'timer wake fired', 'the waiting state\'s timer brought it back')
    // The bot's side of Alice's private chat is her id.
    await alice.inbox.until(() => bot.store.chatState(IDS.alice) === 'idle' ? true : undefined, 20_000, 'the machine back in idle')
    t.same(log.filter(l => !l.startsWith('enter idle')), ['exit idle', 'enter waiting', 'exit waiting'])
    t.ok(log.includes(`enter idle ${IDS.alice}`), 'the machine was created on first contact, in its initial state')
    t.equal(bot.store.chatState(IDS.alice), 'idle', 'the state is stored')
  })

  await bot.stop()
  t.same(errors, [], 'no handler failed')
})

/**
 * Sensitive messages on the sandbox through the broker: deleted after their
 * delay, also when the toolkit restarted in between (the deletion is
 * stored), and deleted at once by the user's button.
 */
import { join } from 'node:path'
import t from 'tap'
import { Toolkit, ToolkitError, type ToolkitOptions } from '../src/index.js'
import { BOT_ID, IDS, startWorld, userOf } from './helpers.js'

t.test('sensitive messages', async t => {
  const w = await startWorld()
  t.teardown(w.stop)
  const errors: unknown[] = []
  let clockShift = 0
  const options = (): ToolkitOptions => ({
    database: join(w.dir, 'sensitive.sqlite'),
    onError: e => { errors.push(e) },
    now: () => Date.now() + clockShift,
    commands: [
      { name: 'pin', description: 'Sends a PIN that deletes itself', run: async ctx => { await ctx.send({ markdown: 'Your PIN: *1234*' }, { deleteAfterMs: 300 }) } },
      { name: 'code', description: 'A code, deleted in a minute', run: async ctx => { const sent = await ctx.send('code 9876'); ctx.deleteAfter(sent, 60_000) } },
      { name: 'key', description: 'A key with a delete button', run: async ctx => { await ctx.send('key abcd', { deleteButton: 'Delete now' }) } }
    ]
  })
  let bot = new Toolkit(w.bot, options())
  await bot.start()
  const alice = await userOf(w, 'alice')

  await t.test('a message deleted after its delay, formatted text kept', async t => {
    await alice.say(BOT_ID, '/pin')
    const pin = await alice.inbox.next(BOT_ID)
    t.equal(pin.content['@type'] === 'messageText' && pin.content.text.text, 'Your PIN: 1234')
    t.equal(pin.content['@type'] === 'messageText' && pin.content.text.entities[0]?.type['@type'], 'textEntityTypeBold', 'Markdown became entities')
    await alice.inbox.waitDeleted(BOT_ID, pin.id)
    t.pass('deleted for the user')
  })

  await t.test('a scheduled deletion survives a restart', async t => {
    await alice.say(BOT_ID, '/code')
    const code = await alice.inbox.next(BOT_ID)
    await alice.inbox.until(() => bot.store.pendingDeletions(IDS.alice).length > 0 ? true : undefined, 20_000, 'the stored deletion')
    t.same(bot.store.pendingDeletions(IDS.alice), [code.id], 'the deletion is stored')
    await bot.stop()
    t.notOk(alice.inbox.deleted.has(`${BOT_ID}:${code.id}`), 'not deleted before the restart')
    clockShift = 61_000 // the minute passed while the bot was down
    bot = new Toolkit(w.bot, options())
    await bot.start()
    await alice.inbox.waitDeleted(BOT_ID, code.id)
    t.pass('deleted by the restarted toolkit')
    await alice.inbox.until(() => bot.store.pendingDeletions(IDS.alice).length === 0 ? true : undefined, 20_000, 'the row gone')
    t.same(bot.store.pendingDeletions(IDS.alice), [])
    clockShift = 0
  })

  await t.test('a button deletes one received message at once', async t => {
    await alice.say(BOT_ID, '/key')
    const key = await alice.inbox.next(BOT_ID)
    t.equal(await alice.press(BOT_ID, key.id, 'tk:delete'), 'Deleted.')
    await alice.inbox.waitDeleted(BOT_ID, key.id)
    t.pass('deleted')
  })

  await t.test('an account cannot send buttons: a typed error', async t => {
    const account = new Toolkit(alice.session, { database: ':memory:', onError: e => { errors.push(e) } })
    await account.start()
    let thrown: unknown
    await account.inChat(BOT_ID, undefined, async ctx => {
      try { await ctx.send('x', { buttons: [{ id: 'a', text: 'A' }] }) } catch (e) { thrown = e }
    })
    t.ok(thrown instanceof ToolkitError && thrown.code === 'NOT_A_BOT', 'NOT_A_BOT')
    await account.stop()
  })

  await bot.stop()
  t.same(errors, [], 'no handler failed')
})

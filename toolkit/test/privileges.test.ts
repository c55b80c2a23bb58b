/**
 * A bot with a restricted command, in the sandbox's supergroup through the
 * broker: a user granted and revoked, privilege groups created, granted,
 * listed and deleted, the Admin group's protections, the command menu, and
 * the privileges still there after a restart.
 */
import { join } from 'node:path'
import t from 'tap'
import { Toolkit, type ToolkitOptions } from '../src/index.js'
import { BOT_ID, BOT_USERNAME, LOUNGE, startWorld, userOf } from './helpers.js'

t.test('privileges, groups and the Admin group on the sandbox', async t => {
  const w = await startWorld()
  t.teardown(w.stop)
  const errors: unknown[] = []
  const options = (): ToolkitOptions => ({
    database: join(w.dir, 'bot.sqlite'),
    onError: e => { errors.push(e) },
    commands: [
      { name: 'ping', description: 'Answers pong', run: async ctx => { await ctx.send('pong') } },
      { name: 'secret', description: 'Tells the secret', privileges: ['can_read_secret'], run: async ctx => { await ctx.send('the secret is 42') } },
      { name: 'echo', description: 'Repeats its parameters', params: ['first', 'rest...'], run: async (ctx, args) => { await ctx.send(args.map(a => `[${a}]`).join(' ')) } }
    ]
  })
  let bot = new Toolkit(w.bot, options())
  await bot.start()

  const alice = await userOf(w, 'alice') // the lounge's creator: its owner, in Admin
  const bob = await userOf(w, 'bob')
  const ask = async (who: typeof alice, text: string): Promise<string> => { await who.say(LOUNGE, text); return await who.inbox.nextText(LOUNGE) }

  await t.test('the command menu was published with setCommands from the definitions', async t => {
    const menu = await w.bot.invoke({ '@type': 'getCommands', scope: { '@type': 'botCommandScopeDefault' }, language_code: '' })
    const names = menu.commands.map(c => c.command)
    for (const n of ['ping', 'secret', 'echo', 'grant', 'revoke', 'groupadd', 'groupdel', 'groupgrant', 'grouprevoke', 'grouplist', 'usergroupadd', 'usergroupdel', 'usergrouplist']) t.ok(names.includes(n), `menu has /${n}`)
    t.equal(menu.commands.find(c => c.command === 'secret')?.description, 'Tells the secret')
  })

  await t.test('parameters: spaces, quotes, /cmd@bot, another bot\'s command ignored', async t => {
    t.equal(await ask(bob, 'ping'.replace(/^/, '/')), 'pong')
    t.equal(await ask(bob, `/echo@${BOT_USERNAME} one "two words" 'it\\'s' three`), '[one] [two words] [it\'s] [three]')
    await bob.say(LOUNGE, '/ping@some_other_bot')
    t.equal(await ask(bob, '/echo after'), '[after]', 'the next answer is to the next command: /ping@some_other_bot got none')
    t.match(await ask(bob, '/echo'), /^Usage: \/echo <first> \[rest\]|^Usage: \/echo <first> <rest\.\.\.>/, 'a missing parameter gets the usage line')
    t.match(await ask(bob, '/echo "open'), /could not read that command: unclosed " quote/)
  })

  await t.test('a user granted and revoked', async t => {
    t.equal(await ask(bob, '/secret'), 'You may not use /secret: it needs can_read_secret.')
    t.equal(await ask(bob, '/grant @bob_baker can_read_secret'), 'You may not use /grant: it needs can_grant.')
    t.equal(await ask(alice, '/grant @bob_baker can_read_secret'), 'Granted can_read_secret to @bob_baker.')
    t.equal(await ask(bob, '/secret'), 'the secret is 42')
    t.match(await ask(alice, '/grant @bob_baker can_fly'), /^Unknown privilege can_fly\. Known: .*can_read_secret/)
    t.match(await ask(alice, '/grant @bob_baker Can-Read'), /is not a privilege name/)
    t.equal(await ask(alice, '/grant @nobody_here can_read_secret'), 'I don\'t know the user @nobody_here.')
    t.equal(await ask(alice, '/revoke 1000002 can_read_secret'), 'Revoked can_read_secret from 1000002.')
    t.equal(await ask(bob, '/secret'), 'You may not use /secret: it needs can_read_secret.')
  })

  await t.test('groups created, granted, listed, joined and deleted', async t => {
    t.equal(await ask(alice, '/groupadd readers'), 'Group readers created.')
    t.equal(await ask(alice, '/groupadd readers'), 'Group readers already exists.')
    t.equal(await ask(alice, '/groupgrant readers can_read_secret'), 'Group readers now holds can_read_secret.')
    t.equal(await ask(alice, '/usergroupadd @bob_baker readers'), '@bob_baker added to readers.')
    t.equal(await ask(bob, '/secret'), 'the secret is 42', 'held through the group')
    t.equal(await ask(alice, '/grouplist'), 'Groups:\nadmin: every privilege (1 member)\nreaders: can_read_secret (1 member)')
    t.equal(await ask(alice, '/usergrouplist @bob_baker'), '@bob_baker: groups readers; no privileges of their own.')
    t.equal(await ask(alice, '/grouprevoke readers can_read_secret'), 'Group readers no longer holds can_read_secret.')
    t.equal(await ask(bob, '/secret'), 'You may not use /secret: it needs can_read_secret.')
    t.equal(await ask(alice, '/groupgrant readers can_read_secret'), 'Group readers now holds can_read_secret.')
    t.equal(await ask(alice, '/usergroupdel @bob_baker readers'), '@bob_baker removed from readers.')
    t.equal(await ask(bob, '/secret'), 'You may not use /secret: it needs can_read_secret.')
    t.equal(await ask(alice, '/usergroupadd @bob_baker readers'), '@bob_baker added to readers.')
    t.equal(await ask(alice, '/groupdel readers'), 'Group readers deleted.')
    t.equal(await ask(bob, '/secret'), 'You may not use /secret: it needs can_read_secret.', 'the group\'s members lost what it gave')
    t.equal(await ask(alice, '/usergrouplist @bob_baker'), '@bob_baker: in no group; no privileges of their own.')
  })

  await t.test('the Admin group: cannot be removed, cannot lose a privilege, only its members change it', async t => {
    t.equal(await ask(alice, '/groupdel admin'), 'The admin group cannot be removed.')
    t.equal(await ask(alice, '/groupdel Admin'), 'The admin group cannot be removed.', 'names are case-insensitive')
    t.equal(await ask(alice, '/grouprevoke admin can_grant'), 'The admin group cannot lose a privilege.')
    t.equal(await ask(alice, '/groupgrant admin can_read_secret'), 'The admin group holds every privilege already.')
    t.equal(await ask(alice, '/usergroupdel @alice admin'), 'The chat\'s owner always stays in the admin group.')
    t.equal(await ask(alice, '/grant @bob_baker can_usergroupadd'), 'Granted can_usergroupadd to @bob_baker.')
    t.equal(await ask(bob, '/usergroupadd @bob_baker admin'), 'Only members of the admin group can change who is in it.')
    t.equal(await ask(alice, '/usergroupadd @bob_baker admin'), '@bob_baker added to admin.')
    t.equal(await ask(bob, '/secret'), 'the secret is 42', 'Admin holds every privilege')
    t.equal(await ask(bob, '/usergroupdel @bob_baker admin'), '@bob_baker removed from admin.', 'an Admin member may leave it')
    t.equal(await ask(bob, '/secret'), 'You may not use /secret: it needs can_read_secret.')
  })

  await t.test('privileges survive a restart; the refusal message is replaceable', async t => {
    t.equal(await ask(alice, '/grant @bob_baker can_read_secret'), 'Granted can_read_secret to @bob_baker.')
    await bot.stop()
    await bot.stop() // twice is safe
    bot = new Toolkit(w.bot, { ...options(), refusal: (_ctx, r) => `No. (${r.missing.join('+')})` })
    await bot.start()
    t.equal(await ask(bob, '/secret'), 'the secret is 42', 'the grant is still stored')
    t.equal(await ask(bob, '/groupadd x'), 'No. (can_groupadd)')
    t.equal(await ask(alice, '/usergrouplist @alice'), '@alice: groups admin; no privileges of their own.')
  })

  await bot.stop()
  t.same(errors, [], 'no handler failed')
  t.equal(w.sandbox.world.userId(BOT_USERNAME), BOT_ID)
})

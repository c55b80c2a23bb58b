/**
 * Seed 000 end to end on the sandbox: a new customer writes /start to the
 * messenger bot; the account the broker holds creates the customer's private
 * group and adds the bot as an administrator; the bot sends the invite links
 * (the customer's, and one to each operator); everyone joins. A customer's
 * message reaches the backend (webhook) and both operators' feeds (long
 * polling, read-only tokens); the buttons are handled; an operator approves
 * with /approve, which only operators may; the operators' own tokens cannot
 * send, delete or ban (403).
 */
import t from 'tap'
import { GrammyError } from 'grammy'
import { PaymentsApp } from '../src/app.js'
import type { BackendEvents } from '../src/backend.js'
import { OperatorFeed, type FeedMessage } from '../src/operator-feed.js'
import { silentLog } from '../src/log.js'
import { State } from '../src/state.js'
import { BOT, buttonsOf, PEOPLE, Person, startPaymentsWorld, textOf, until, within } from './helpers.js'

t.test('a customer, their group, two operators, a payment approved', async t => {
  const w = await startPaymentsWorld()
  t.teardown(w.stop)
  const config = w.config()
  const app = new PaymentsApp(config, silentLog)
  await app.start()
  t.teardown(async () => { await app.stop() })
  t.equal(app.state, 'running')
  t.match(app.webhookUrl, /^http:\/\/127\.0\.0\.1:\d+\/payments-hook$/)

  // What the backend saw, as events.
  const seen: { [K in keyof BackendEvents]: BackendEvents[K][] } = { groupCreated: [], customerJoined: [], operatorJoined: [], customerMessage: [], paymentOpened: [], paymentApproved: [] }
  for (const name of Object.keys(seen) as Array<keyof BackendEvents>) app.backend.on(name, (...args: any[]) => { (seen[name] as unknown[]).push(args) })

  // Each operator's feed: long polling with their own read-only token.
  const feeds = { olga: [] as FeedMessage[], oscar: [] as FeedMessage[] }
  const olgaFeed = new OperatorFeed({ apiRoot: w.apiRoot, token: w.tokens.olga }, m => { feeds.olga.push(m) })
  const oscarFeed = new OperatorFeed({ apiRoot: w.apiRoot, token: w.tokens.oscar }, m => { feeds.oscar.push(m) })
  await within(Promise.all([olgaFeed.start(1), oscarFeed.start(1)]), 15_000, 'the feeds polling')
  t.teardown(async () => { await Promise.all([olgaFeed.stop(), oscarFeed.stop()]) })

  // The operators' own Telegram accounts start the bot (a bot writes only to those who wrote to it).
  const olga = await Person.login(w, 'olga')
  const oscar = await Person.login(w, 'oscar')
  for (const op of [olga, oscar]) {
    await op.say(BOT.id, '/start')
    t.match(textOf(await op.fromBot(BOT.id, /operator of the payments desk/)), /Approve a payment with \/approve <id>/)
  }

  // A new customer.
  const alice = await Person.login(w, 'alice')
  await alice.say(BOT.id, '/start')
  const welcome = await alice.fromBot(BOT.id, /^Welcome, Alice Archer!/)
  const [[joinLabel, aliceLink]] = buttonsOf(welcome) as [[string, string]]
  t.equal(joinLabel, 'Open my payments group')
  t.match(aliceLink, /^https:\/\/t\.me\/\+/, 'an invite link in a URL button')
  t.equal(seen.groupCreated.length, 1, 'one group made')
  const customer = seen.groupCreated[0]![0]
  const groupId = customer.chatId
  t.ok(groupId < -1000000000000, `a supergroup (${groupId})`)

  // The account made it, and the bot is an administrator there.
  const api = app.backend.bot.api
  t.equal((await api.getChatMember(groupId, PEOPLE.account.id)).status, 'creator', 'the account created the group')
  t.equal((await api.getChatMember(groupId, BOT.id)).status, 'administrator', 'the bot was added as an administrator')
  const group = await api.getChat(groupId)
  t.same([group.type, group.title], ['supergroup', 'Payments: Alice Archer'])

  // Invite links reached both operators.
  const olgaInvite = await olga.fromBot(BOT.id, /^New customer Alice Archer/)
  const oscarInvite = await oscar.fromBot(BOT.id, /^New customer Alice Archer/)
  const olgaLink = buttonsOf(olgaInvite)[0]![1]
  const oscarLink = buttonsOf(oscarInvite)[0]![1]
  t.not(olgaLink, oscarLink, 'a link per operator')
  t.not(olgaLink, aliceLink)

  // Everyone joins through their link; the customer is welcomed with the buttons.
  for (const [who, link] of [[alice, aliceLink], [olga, olgaLink], [oscar, oscarLink]] as const) {
    const joined = await who.session.invoke({ '@type': 'joinChatByInviteLink', invite_link: link })
    t.same([joined['@type'], (joined as { chat_id?: number }).chat_id], ['chatJoinResultSuccess', groupId])
  }
  const groupWelcome = await alice.fromBot(groupId, /^Hello Alice Archer, this is your payments group/)
  t.same(buttonsOf(groupWelcome), [['How to pay', 'pay:how'], ['I have paid', 'pay:paid']])
  await until(() => seen.operatorJoined.length === 2, 'both operators joined')
  t.same(seen.operatorJoined.map(([, op]) => op.name).sort(), ['Olga', 'Oscar'])
  t.equal(seen.customerJoined.length, 1)
  // A one-person link lets nobody else in.
  const chris = await Person.login(w, 'chris')
  const refused = await chris.session.invoke({ '@type': 'joinChatByInviteLink', invite_link: aliceLink }).then(() => 'joined', (e: Error) => e.message)
  t.match(refused, /USERS_TOO_MUCH/, "the customer's link is for one person")

  // A /start again: the same group, not a second one.
  await alice.say(BOT.id, '/start')
  await until(() => alice.received.filter(m => m.chat_id === BOT.id && /^Welcome/.test(textOf(m))).length === 2, 'the second welcome')
  t.equal(seen.groupCreated.length, 1, 'still one group for Alice')

  // The customer writes: the backend and every operator get it.
  const text = 'Transfer sent, reference TX-4711'
  await alice.say(groupId, text)
  await until(() => seen.customerMessage.length === 1 && feeds.olga.some(m => m.text === text) && feeds.oscar.some(m => m.text === text), 'the message at the backend and both operators')
  t.same([seen.customerMessage[0]![0].text, seen.customerMessage[0]![0].customer.userId], [text, PEOPLE.alice.id], 'the backend got it (webhook)')
  for (const feed of [feeds.olga, feeds.oscar]) {
    const m = feed.find(m => m.text === text)!
    t.same([m.chatId, m.chatTitle, m.from.id, m.from.name], [groupId, 'Payments: Alice Archer', PEOPLE.alice.id, 'Alice Archer'], 'an operator got it (long polling)')
  }
  t.notOk(feeds.olga.some(m => m.text === '/start'), 'private chats with the bot are not in the feed')

  // The buttons.
  t.equal(await alice.press(groupId, groupWelcome.id, 'pay:how'), 'Instructions sent')
  t.match(textOf(await alice.fromBot(groupId, /^How to pay:/)), /Press "I have paid"/)
  t.equal(await olga.press(groupId, groupWelcome.id, 'pay:paid'), '', "an operator's press opens no payment")
  t.equal(await alice.press(groupId, groupWelcome.id, 'pay:paid'), 'Payment #1 recorded')
  t.match(textOf(await alice.fromBot(groupId, /^Payment #1 is recorded/)), /An operator will check it/)
  t.equal(await alice.press(groupId, groupWelcome.id, 'pay:paid'), 'Payment #1 is already waiting for an operator.', 'one open payment at a time')
  t.equal(seen.paymentOpened.length, 1)
  await olga.fromBot(BOT.id, /^Payment #1 from Alice Archer is waiting/)
  const oscarNotice = await oscar.fromBot(BOT.id, /^Payment #1 from Alice Archer is waiting/)
  t.same(buttonsOf(oscarNotice), [['Approve #1', 'pay:approve:1']])

  // Approving is the backend's: a customer cannot, an operator can.
  await alice.say(BOT.id, '/approve 1')
  await alice.fromBot(BOT.id, /^Only operators may approve payments\.$/)
  await olga.say(BOT.id, '/approve')
  await olga.fromBot(BOT.id, /^Usage: \/approve <payment id>$/)
  await olga.say(BOT.id, '/approve 99')
  await olga.fromBot(BOT.id, /^There is no payment #99\.$/)
  await olga.say(BOT.id, '/approve 1')
  await olga.fromBot(BOT.id, /^Payment #1 approved\.$/)
  await alice.fromBot(groupId, /^Payment #1 is approved\. Thank you!$/)
  t.same(seen.paymentApproved.map(([p, op]) => [p.id, p.status, op.name]), [[1, 'approved', 'Olga']])
  t.equal(await oscar.press(BOT.id, oscarNotice.id, 'pay:approve:1'), 'Payment #1 was already approved.', 'the button, after the command')
  const stored = new State(config.stateFile, { maxCustomers: 10, maxPayments: 10 }).payment(1)
  t.same([stored?.status, stored?.approvedBy], ['approved', PEOPLE.olga.id], 'kept in the state file')

  // The operators' own tokens are read-only: sending, deleting, banning are refused with 403.
  const refusedCalls = {
    sendMessage: await olgaFeed.bot.api.sendMessage(groupId, 'approved!').then(() => undefined, (e: unknown) => e),
    deleteMessage: await olgaFeed.bot.api.deleteMessage(groupId, groupWelcome.id / 2 ** 20).then(() => undefined, (e: unknown) => e),
    banChatMember: await oscarFeed.bot.api.banChatMember(groupId, PEOPLE.alice.id).then(() => undefined, (e: unknown) => e)
  }
  for (const [method, e] of Object.entries(refusedCalls)) {
    t.ok(e instanceof GrammyError, `${method} fails`)
    t.equal((e as GrammyError).error_code, 403, `${method} is 403`)
    t.match((e as GrammyError).description, new RegExp(`^Forbidden: ${method} needs the TDLib request \\w+, which the scope of client "operators" does not allow`))
  }
  t.equal((await api.getChatMember(groupId, PEOPLE.alice.id)).status, 'member', 'Alice is still in her group')
  t.equal((await olgaFeed.bot.api.getChat(groupId)).id, groupId, 'reading is allowed')

  // A second customer gets a group of their own.
  await chris.say(BOT.id, '/start')
  await chris.fromBot(BOT.id, /^Welcome, Chris Customer!/)
  t.equal(seen.groupCreated.length, 2)
  t.not(seen.groupCreated[1]![0].chatId, groupId, 'another group')
  await olga.fromBot(BOT.id, /^New customer Chris Customer/)
})

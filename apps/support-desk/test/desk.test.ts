/**
 * The desk end to end on the sandbox through a broker: a customer picks a
 * department (button and command), the least loaded staff member of it gets
 * the conversation in their own account and answers by replying; typing
 * goes both ways; a transfer moves the conversation with its history; the
 * desk restarts and carries on from its database; another bridge sees every
 * event and answers through DeskPort (where Matrix plugs in).
 */
import { join } from 'node:path'
import t from 'tap'
import { parseConfig, startDesk, type Bridge, type ConversationEvent, type DeskPort, type RunningDesk } from '../src/index.js'
import { login } from '@tdbroker/client'
import { BOT_TOKEN, startWorld, type StaffAccount } from './world.js'

class RecordingBridge implements Bridge {
  readonly name = 'recording'
  readonly events: string[] = []
  port: DeskPort | undefined
  async start (desk: DeskPort): Promise<void> { this.port = desk }
  async onConversation (e: ConversationEvent): Promise<void> { this.events.push(`${e.kind} #${e.conversation.id} ${e.conversation.department}`) }
  async onCustomerMessage (c: { id: number }, m: { text: string }): Promise<number> { this.events.push(`customer #${c.id} ${m.text}`); return 0 }
  async onStaffMessage (c: { id: number }, m: { text: string }): Promise<void> { this.events.push(`staff #${c.id} ${m.text}`) }
  async onCustomerTyping (c: { id: number }): Promise<void> { this.events.push(`typing #${c.id}`) }
  async stop (): Promise<void> { this.port = undefined }
}

t.test('the support desk on the sandbox', async t => {
  const w = await startWorld()
  t.teardown(w.stop)
  const staff: StaffAccount[] = [
    await w.staff(3000001, 'Sam', 'support'),
    await w.staff(3000002, 'Tina', 'tech'),
    await w.staff(3000003, 'Tom', 'tech'),
    await w.staff(3000004, 'Vera', 'verify'),
    await w.staff(3000005, 'Sal', 'sales')
  ]
  const [, tina, tom, , sal] = staff as [StaffAccount, StaffAccount, StaffAccount, StaffAccount, StaffAccount]
  const alice = await w.account(3100001, 'Alice')
  const dave = await w.account(3100002, 'Dave')
  const erin = await w.account(3100003, 'Erin')
  // The bot's own session, kept across the desk's restart: a new session would not know the customers' chats (as in TDLib).
  const botSession = await w.client.createSession()
  await login(botSession, { type: 'bot', getToken: () => BOT_TOKEN })
  await botSession.detach()
  const config = parseConfig({
    broker: { url: w.url }, bot: { session: botSession.id }, database: join(w.dir, 'desk.sqlite'),
    staff: staff.map(s => ({ session: s.deskSession, department: s.department }))
  }, w.dir)
  const errors: string[] = []
  const log = { info: () => {}, error: (m: string, e?: unknown) => { errors.push(`${m}: ${String(e)}`) } }
  const recording = new RecordingBridge()
  let desk: RunningDesk = await startDesk(config, { log, bridges: [recording] })
  t.teardown(async () => { await desk.stop() })

  await t.test('the desk opened each staff member\'s chat with the bot from their own account', async t => {
    for (const s of staff) await s.phone.waitFor('You are on the desk')
    t.same(desk.desk.roster.map(s => s.name), ['Sam', 'Tina', 'Tom', 'Vera', 'Sal'], 'names from the accounts (getMe)')
  })

  await t.test('/start offers the departments; a button routes to the least loaded staff member', async t => {
    await alice.say('/start')
    const welcome = await alice.waitFor('Which department')
    t.equal(welcome.reply_markup?.['@type'], 'replyMarkupInlineKeyboard')
    const rows = welcome.reply_markup?.['@type'] === 'replyMarkupInlineKeyboard' ? welcome.reply_markup.rows.map(r => r[0]?.text) : []
    t.same(rows, ['General Support', 'Technical Support', 'Account Verification', 'Sales & Commerce'])
    t.equal(await alice.press(welcome.id, 'dept:tech'), 'Technical Support')
    await alice.waitFor('You are now with Technical Support: Tina will answer you here.')
    await tina.phone.waitFor('#1 · Technical Support · Alice: new conversation')
    await dave.say('/tech')
    await dave.waitFor('You are now with Technical Support: Tom will answer you here.', 20_000)
    await tom.phone.waitFor('#2 · Technical Support · Dave')
  })

  await t.test('messages go both ways; the answer is a reply in the staff member\'s own account', async t => {
    await alice.say('my router is broken')
    const relayed = await tina.phone.waitFor('#1 · Alice: my router is broken')
    await tina.phone.say('Have you tried turning it off and on?', relayed.id)
    await alice.waitFor('Have you tried turning it off and on?')
    await dave.say('my screen is dark')
    const forTom = await tom.phone.waitFor('#2 · Dave: my screen is dark')
    await tom.phone.say('Is it plugged in?', forTom.id)
    await dave.waitFor('Is it plugged in?')
    t.notOk(tina.phone.texts().some(x => x.includes('screen is dark')), 'Tina does not see Tom\'s conversation')
    const history = desk.desk.history(1)
    t.same(history.map(m => `${m.author}: ${m.text}`), ['desk: opened in Technical Support', 'customer: my router is broken', 'staff: Have you tried turning it off and on?'])
    t.ok(history.slice(1).every(m => m.deliveredAt !== null), 'both have a delivery receipt (Telegram stored the relayed copy)')
  })

  await t.test('typing is relayed both ways', async t => {
    await alice.typing()
    await tina.phone.until(() => tina.phone.botTyping > 0 ? true : undefined, 10_000, 'typing from the bot')
    await tina.phone.typing() // her current conversation is #1
    await alice.until(() => alice.botTyping > 0 ? true : undefined, 10_000, 'typing from the bot')
    t.pass('both sides saw typing')
  })

  await t.test('a message before choosing a department gets the buttons; customers cannot use staff commands', async t => {
    await erin.say('hello?')
    const m = await erin.waitFor('Please choose a department first')
    t.equal(m.reply_markup?.['@type'], 'replyMarkupInlineKeyboard')
    await erin.say('/transfer sales')
    await erin.waitFor('That command is for staff members.')
  })

  await t.test('a staff member transfers a conversation: the new one gets its history', async t => {
    await tina.phone.say('/transfer sales')
    await tina.phone.waitFor('#1 transferred to Sales & Commerce.')
    await tina.phone.waitFor('#1 moved to Sales & Commerce (Sal).')
    const handover = await sal.phone.waitFor('#1 · Sales & Commerce · Alice: transferred to you from Technical Support')
    t.match(handover.content['@type'] === 'messageText' ? handover.content.text.text : '', /Alice: my router is broken\nTina: Have you tried/)
    await alice.waitFor('You are now with Sales & Commerce: Sal will answer you here.')
    await alice.say('how much is the pro plan?')
    await sal.phone.waitFor('#1 · Alice: how much is the pro plan?')
    t.notOk(tina.phone.texts().some(x => x.includes('pro plan')), 'Tina no longer gets it')
  })

  await t.test('the desk restarts: conversations, assignment and history come back from its database', async t => {
    const question = await sal.phone.waitFor('#1 · Alice: how much is the pro plan?')
    await desk.stop()
    desk = await startDesk(config, { log, bridges: [recording] })
    await sal.phone.say('The pro plan is 10 a month.', question.id)
    await alice.waitFor('The pro plan is 10 a month.')
    const from = sal.phone.fromBot.length
    await sal.phone.say('/history 1')
    const h = await sal.phone.waitFor('#1 Alice', 20_000, from)
    t.match(h.content['@type'] === 'messageText' ? h.content.text.text : '', /my router is broken[\s\S]*transferred from Technical Support to Sales & Commerce[\s\S]*The pro plan is 10 a month/)
  })

  await t.test('another bridge sees every event and answers through DeskPort', async t => {
    t.ok(recording.events.includes('opened #1 tech'))
    t.ok(recording.events.includes('customer #1 my router is broken'))
    t.ok(recording.events.includes('staff #1 Have you tried turning it off and on?'))
    t.ok(recording.events.includes('transferred #1 sales'))
    t.ok(recording.events.includes('typing #1'))
    await recording.port?.answer(1, sal.userId, 'Sent from the other bridge')
    await alice.waitFor('Sent from the other bridge')
    await t.rejects(recording.port?.answer(1, tina.userId, 'not mine') ?? Promise.reject(new Error('no port')), { code: 'NOT_ASSIGNED' }, 'only the assigned staff member answers')
  })

  await t.test('closing', async t => {
    await sal.phone.say('/close')
    await alice.waitFor('This conversation is closed.')
    await sal.phone.waitFor('#1 closed.')
    await alice.say('one more thing')
    await alice.waitFor('Please choose a department first')
    t.equal(desk.desk.store.conversation(1)?.status, 'closed')
  })

  t.same(errors, [], 'nothing failed in the desk')
})

t.test('the configuration: unknown keys and missing parts are errors, with their place', async t => {
  t.throws(() => parseConfig({ broker: { url: 'tcp://x:1', urll: 1 }, bot: { session: 's' }, staff: [{ session: 'a', department: 'hr' }], databse: 'x' }, '/tmp'), {
    code: 'INVALID_CONFIG',
    message: /\$\.databse: unknown key.*\$\.broker\.urll: unknown key.*\$\.staff\[0\]\.department: one of support, tech, verify, sales/
  })
  t.throws(() => parseConfig({ broker: { url: 'tcp://x:1' }, bot: {}, staff: [{ session: 'a', department: 'tech' }] }, '/tmp', {}), { message: /DESK_BOT_TOKEN/ })
  const ok = parseConfig({ broker: { url: 'tcp://x:1' }, bot: { session: 's' }, staff: [{ session: 'a', department: 'tech' }] }, '/tmp')
  t.equal(ok.database, '/tmp/desk.sqlite')
  t.ok(Object.isFrozen(ok))
})

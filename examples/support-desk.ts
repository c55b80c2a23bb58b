/**
 * A support desk on one bot (seed 000's flow): the backend sends as the bot,
 * two operators may only read it, all three see every customer message, and
 * a staff user account creates a private group for each customer with the bot
 * in it (the Bot API cannot create groups; a user account can).
 *
 * Each role is its own connection with its own client key, as separate
 * programs would be; here one program plays them all, and on the sandbox it
 * also plays the customer (in production that is a person in their Telegram app).
 *
 *   TDBROKER_URL=tcp://localhost:23456 BACKEND_KEY=... OPERATOR_1_KEY=... OPERATOR_2_KEY=... \
 *   STAFF_KEY=... CUSTOMER_KEY=... node --import ./node_modules/@tapjs/typescript/dist/esm/import.mjs examples/support-desk.ts
 *
 * The broker's `clients` settings give each key its scope (examples/README.md);
 * the operators' scope allows only reading, so the broker refuses their
 * sendMessage, deleteMessages and banChatMember with 403 REQUEST_NOT_ALLOWED.
 */
// In your project: import { ... } from '@tdbroker/client'
import { connect, login, TdError, type BrokerClient, type BrokerSession, type Update } from '../client/src/index.js'

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`set ${name}`)
  return value
}
const url = process.argv[2] ?? env('TDBROKER_URL')
const BOT_TOKEN = env('BOT_TOKEN', '7000001:sandbox-echo-bot-token')
const STAFF = { phone: env('STAFF_PHONE', '+15550001001'), code: env('STAFF_CODE', '12345') }
const CUSTOMER = { phone: env('CUSTOMER_PHONE', '+15550001002'), code: env('CUSTOMER_CODE', '12345'), password: env('CUSTOMER_PASSWORD', 'sandbox') }

const as = async (name: string, keyVar: string): Promise<BrokerClient> =>
  await connect({ url, auth: { name, key: env(keyVar) }, requestTimeoutMs: 20_000 })
const text = (t: string) => ({ '@type': 'inputMessageText' as const, text: { '@type': 'formattedText' as const, text: t, entities: [] } })

/** Collects the texts `senderId` sends, as one role sees them, until `count` arrived. */
function collect (who: string, session: BrokerSession, senderId: number, count: number): Promise<string[]> {
  const seen: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${who} saw only ${seen.length} of ${count} customer messages`)) }, 20_000)
    session.on('update', (u: Update) => {
      if (u['@type'] !== 'updateNewMessage' || u.message.content['@type'] !== 'messageText') return
      const sender = u.message.sender_id
      if (sender['@type'] !== 'messageSenderUser' || sender.user_id !== senderId) return
      seen.push(u.message.content.text.text)
      console.log(`${who} received "${u.message.content.text.text}" in chat ${u.message.chat_id}`)
      if (seen.length === count) { clearTimeout(timer); resolve(seen) }
    })
  })
}

/** Tries a request the operator's scope forbids and prints the broker's refusal. */
async function refused (who: string, what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
    throw new Error(`${who} could ${what}: its scope should refuse it`)
  } catch (e) {
    if (!(e instanceof TdError)) throw e
    console.log(`${who} may not ${what}: ${e.code} ${e.brokerError ?? e.message}`)
  }
}

const backend = await as('backend', 'BACKEND_KEY')
const operators = [await as('operator-1', 'OPERATOR_1_KEY'), await as('operator-2', 'OPERATOR_2_KEY')]
const staffClient = await as('staff', 'STAFF_KEY')
const customerClient = await as('customer', 'CUSTOMER_KEY')
try {
  // The backend holds the bot session; the operators attach the same session, read-only.
  const bot = await backend.createSession()
  await login(bot, { type: 'bot', getToken: () => BOT_TOKEN })
  const botUser = await bot.invoke({ '@type': 'getMe' })
  const watchers = [bot, ...await Promise.all(operators.map(async o => await o.attach(bot.id)))]

  // The customer (played here) and the staff account that makes groups.
  const customer = await customerClient.createSession()
  await login(customer, { getPhoneNumber: () => CUSTOMER.phone, getAuthCode: () => CUSTOMER.code, getPassword: () => CUSTOMER.password })
  const customerUser = await customer.invoke({ '@type': 'getMe' })
  const staff = await staffClient.createSession()
  await login(staff, { getPhoneNumber: () => STAFF.phone, getAuthCode: () => STAFF.code })

  const names = ['backend', 'operator-1', 'operator-2']
  const received = Promise.all(watchers.map(async (s, i) => await collect(names[i] as string, s, customerUser.id, 3)))

  // A private group for this customer, with the bot in it.
  const found = await staff.invoke({ '@type': 'searchUserByPhoneNumber', phone_number: CUSTOMER.phone, only_local: false })
  await staff.invoke({ '@type': 'searchPublicChat', username: botUser.usernames?.active_usernames[0] ?? '' })
  const groupShown = customer.waitFor(u => u['@type'] === 'updateNewMessage' && u.message.content['@type'] === 'messageBasicGroupChatCreate', 20_000)
  const group = await staff.invoke({ '@type': 'createNewBasicGroupChat', title: `Support: ${customerUser.first_name}`, user_ids: [found.id, botUser.id] })
  console.log(`staff created group ${group.chat_id} with the customer and @${botUser.usernames?.active_usernames[0] ?? ''}`)
  await groupShown

  // The customer writes: twice in the group, once to the bot directly.
  await customer.invoke({ '@type': 'sendMessage', chat_id: group.chat_id, input_message_content: text('hello, I paid invoice 42') })
  await customer.invoke({ '@type': 'sendMessage', chat_id: group.chat_id, input_message_content: text('here is the receipt number: 9913') })
  await customer.invoke({ '@type': 'sendMessage', chat_id: botUser.id, input_message_content: text('/status') })
  await received

  // The backend answers as the bot; the operators cannot.
  const reply = await bot.invoke({ '@type': 'sendMessage', chat_id: group.chat_id, input_message_content: text('Thanks! An operator is checking your payment.') })
  console.log(`backend replied in the group (message ${reply.id})`)
  for (const [i, o] of operators.entries()) {
    const session = o.session(bot.id)
    const who = `operator-${i + 1}`
    await refused(who, 'send', async () => await session.invoke({ '@type': 'sendMessage', chat_id: group.chat_id, input_message_content: text('approved') }))
    await refused(who, 'delete', async () => await session.invoke({ '@type': 'deleteMessages', chat_id: group.chat_id, message_ids: [reply.id], revoke: true }))
    await refused(who, 'ban', async () => await session.invoke({ '@type': 'banChatMember', chat_id: group.chat_id, member_id: { '@type': 'messageSenderUser', user_id: customerUser.id }, banned_until_date: 0, revoke_messages: false }))
    const history = await session.invoke({ '@type': 'getChatHistory', chat_id: group.chat_id, from_message_id: 0, offset: 0, limit: 10, only_local: false })
    console.log(`${who} read ${history.messages.length} messages of the group`)
  }
  console.log('support desk: done')
} finally {
  for (const c of [backend, ...operators, staffClient, customerClient]) c.close()
}

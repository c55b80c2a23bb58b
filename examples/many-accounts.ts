/**
 * Many user accounts side by side (seed 004): one connection holds a session
 * per account; each logs in, adds the others as contacts, lists its
 * contacts, sends each of them a message and waits to receive one from each.
 *
 *   node --import ./node_modules/@tapjs/typescript/dist/esm/import.mjs examples/many-accounts.ts tcp://localhost:23456 \
 *     +15550001001:12345 +15550001002:12345:sandbox +15550001004:22222
 *
 * An account is phone:code[:password[:email code]] (2FA password, and the
 * code of an account that must confirm an e-mail address). Without accounts
 * it uses the sandbox's seeded users (sandbox/world.json).
 */
// In your project: import { ... } from '@tdbroker/client'
import { connect, login, type BrokerSession, type Update } from '../client/src/index.js'

interface Account { phone: string, code: string, password?: string, emailCode?: string }

const url = process.argv[2] ?? process.env.TDBROKER_URL
if (url === undefined) throw new Error('give the broker URL as the first argument or in TDBROKER_URL')
const given = process.argv.slice(3)
const specs = given.length > 0 ? given : ['+15550001001:12345', '+15550001002:12345:sandbox', '+15550001003:12345::123456', '+15550001004:22222']
const accounts: Account[] = specs.map(spec => {
  const [phone = '', code = '', password = '', emailCode = ''] = spec.split(':')
  return { phone, code, ...(password !== '' ? { password } : {}), ...(emailCode !== '' ? { emailCode } : {}) }
})

const client = await connect({ url, requestTimeoutMs: 20_000 })
try {
  // Log every account in, each in its own session on the one connection.
  const sessions = await Promise.all(accounts.map(async a => {
    const session = await client.createSession()
    await login(session, {
      getPhoneNumber: () => a.phone,
      getAuthCode: () => a.code,
      getPassword: () => a.password ?? '',
      getEmailAddress: () => `${a.phone.replace(/\D/g, '')}@example.com`,
      getEmailCode: () => a.emailCode ?? ''
    })
    return session
  }))
  const users = await Promise.all(sessions.map(async s => await s.invoke({ '@type': 'getMe' })))
  for (const u of users) console.log(`logged in: ${u.first_name} (${u.id})`)

  // Each expects one message from every other account.
  const inbox = (session: BrokerSession, me: number): Promise<string[]> => new Promise((resolve, reject) => {
    const from = new Map<number, string>()
    const timer = setTimeout(() => { reject(new Error(`${me} received only ${from.size} of ${users.length - 1} messages`)) }, 20_000)
    session.on('update', (u: Update) => {
      if (u['@type'] !== 'updateNewMessage' || u.message.is_outgoing || u.message.content['@type'] !== 'messageText') return
      if (u.message.sender_id['@type'] !== 'messageSenderUser') return
      from.set(u.message.sender_id.user_id, u.message.content.text.text)
      if (from.size === users.length - 1) { clearTimeout(timer); resolve([...from.values()].sort()) }
    })
  })
  const received = Promise.all(sessions.map(async (s, i) => await inbox(s, users[i]?.id ?? 0)))

  await Promise.all(sessions.map(async (session, i) => {
    const me = users[i]
    if (me === undefined) return
    const others = accounts.filter((_, j) => j !== i)
    await session.invoke({
      '@type': 'importContacts',
      contacts: others.map(o => ({ '@type': 'importedContact' as const, phone_number: o.phone, first_name: o.phone, last_name: '' }))
    })
    const contacts = await session.invoke({ '@type': 'getContacts' })
    const names = await Promise.all(contacts.user_ids.map(async id => (await session.invoke({ '@type': 'getUser', user_id: id })).first_name))
    console.log(`${me.first_name}'s contacts: ${names.sort().join(', ')}`)
    for (const other of users.filter(u => u.id !== me.id)) {
      await session.invoke({
        '@type': 'sendMessage', chat_id: other.id,
        input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: `hi ${other.first_name}, from ${me.first_name}`, entities: [] } }
      })
    }
  }))

  for (const [i, texts] of (await received).entries()) console.log(`${users[i]?.first_name} received: ${texts.join(' | ')}`)
  console.log(`many accounts: ${sessions.length} sessions done`)
} finally {
  client.close()
}

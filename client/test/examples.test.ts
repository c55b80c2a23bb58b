/**
 * The programs in examples/ run, as a user would run them, against a broker
 * on the sandbox: each is a child process given the broker's URL and its
 * client keys in the environment, and its output is checked line by line.
 */
import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'
import { startBroker } from '../../test/helpers/broker.js'
import { keyClient, testKey } from '../../test/helpers/clients.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** The TypeScript loader tap itself uses, so the examples run from their .ts source. */
const tsLoader = pathToFileURL(resolve(root, 'node_modules/@tapjs/typescript/dist/esm/import.mjs')).href
const SANDBOX = { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' }
const LOGIN = ['getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword',
  'checkAuthenticationBotToken', 'setAuthenticationEmailAddress', 'checkAuthenticationEmailCode']

/** Runs an example; resolves with its exit code and output (bounded: killed after 90 s). */
async function run (example: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number, out: string }> {
  const file = resolve(root, 'examples', example)
  return await new Promise(done => {
    execFile(process.execPath, ['--import', tsLoader, file, ...args], { env: { ...process.env, ...env }, timeout: 90_000, cwd: root },
      (e, stdout, stderr) => { done({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, out: stdout + stderr }) })
  })
}

t.test('support-desk: one bot, a backend that sends, two read-only operators, a staff account that makes groups', async t => {
  const keys = { backend: await testKey(), op1: await testKey(), op2: await testKey(), staff: await testKey(), customer: await testKey() }
  const read = ['getChat', 'getChatHistory', 'getUser', 'getMe']
  const b = await startBroker({
    tdlib: SANDBOX,
    allowed_requests: [...LOGIN, ...read, 'sendMessage', 'deleteMessages', 'banChatMember', 'searchPublicChat', 'searchUserByPhoneNumber', 'createNewBasicGroupChat'],
    allowed_updates: ['updateNewMessage', 'updateMessageSendSucceeded', 'updateNewChat'],
    clients: [
      keyClient('backend', keys.backend, { sessions: 'own' }),
      keyClient('operator-1', keys.op1, { allowed_requests: read, sessions: 'all', may_create_sessions: false }),
      keyClient('operator-2', keys.op2, { allowed_requests: read, sessions: 'all', may_create_sessions: false }),
      keyClient('staff', keys.staff, { sessions: 'own' }),
      keyClient('customer', keys.customer, { sessions: 'own' })
    ]
  })
  t.teardown(b.stop)
  const { code, out } = await run('support-desk.ts', {
    TDBROKER_URL: `tcp://127.0.0.1:${b.port}`, BACKEND_KEY: keys.backend.key, OPERATOR_1_KEY: keys.op1.key, OPERATOR_2_KEY: keys.op2.key,
    STAFF_KEY: keys.staff.key, CUSTOMER_KEY: keys.customer.key
  })
  t.equal(code, 0, 'exits 0')
  t.match(out, /staff created group -\d+ with the customer and @echo_sandbox_bot/)
  for (const who of ['backend', 'operator-1', 'operator-2']) {
    for (const text of ['hello, I paid invoice 42', 'here is the receipt number: 9913', '/status']) {
      t.ok(out.includes(`${who} received "${text}"`), `${who} received "${text}"`)
    }
  }
  t.match(out, /backend replied in the group/)
  for (const who of ['operator-1', 'operator-2']) {
    for (const what of ['send', 'delete', 'ban']) t.ok(out.includes(`${who} may not ${what}: 403 REQUEST_NOT_ALLOWED`), `${who} may not ${what}: 403`)
    t.match(out, new RegExp(`${who} read \\d+ messages of the group`))
  }
  t.match(out, /support desk: done/)
  if (code !== 0 || process.env.SHOW_EXAMPLES === '1') t.comment(out)
})

t.test('many-accounts: four sandbox users log in side by side, list contacts, send to and hear from each other', async t => {
  const b = await startBroker({
    tdlib: SANDBOX,
    allowed_requests: [...LOGIN, 'getMe', 'getUser', 'importContacts', 'getContacts', 'sendMessage'],
    allowed_updates: ['updateNewMessage']
  })
  t.teardown(b.stop)
  const { code, out } = await run('many-accounts.ts', {}, [`tcp://127.0.0.1:${b.port}`])
  t.equal(code, 0, 'exits 0')
  const names = ['Alice', 'Bob', 'Carol', 'Dave']
  for (const name of names) {
    t.match(out, new RegExp(`logged in: ${name} \\(\\d+\\)`), `${name} logged in`)
    const others = names.filter(n => n !== name)
    t.ok(out.includes(`${name}'s contacts: ${others.join(', ')}`), `${name} lists the other three as contacts`)
    const from = others.map(o => `hi ${name}, from ${o}`).sort().join(' | ')
    t.ok(out.includes(`${name} received: ${from}`), `${name} received one message from each of the others`)
  }
  t.match(out, /many accounts: 4 sessions done/)
  if (code !== 0 || process.env.SHOW_EXAMPLES === '1') t.comment(out)
})

t.test('many-accounts takes its accounts from the command line', async t => {
  const b = await startBroker({ tdlib: SANDBOX, allowed_requests: [...LOGIN, 'getMe', 'getUser', 'importContacts', 'getContacts', 'sendMessage'], allowed_updates: ['updateNewMessage'] })
  t.teardown(b.stop)
  const { code, out } = await run('many-accounts.ts', {}, [`tcp://127.0.0.1:${b.port}`, '+15550001002:12345:sandbox', '+15550001004:22222'])
  t.equal(code, 0, 'exits 0')
  t.ok(out.includes('Bob received: hi Bob, from Dave'), 'Bob heard from Dave')
  t.ok(out.includes('Dave received: hi Dave, from Bob'), 'Dave heard from Bob')
  t.notOk(out.includes('logged in: Alice'), 'only the accounts given')
  t.match(out, /many accounts: 2 sessions done/)
})

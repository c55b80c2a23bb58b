/**
 * TDLib's own log lines (component "tdlib") carry no secret: real TDLib at
 * tdlib.debug_level 3 prints every request it receives, credentials
 * included; the broker cuts them out (log/tdlib-text.ts) and keeps the lines.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'
import { cleanTdlibText } from '../../src/log/tdlib-text.js'
import { SecretValues } from '../../src/log/secret-values.js'

const CLI = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/src/cli/main.js')

const API_HASH = 'f0e1d2c3b4a5968778695a4b3c2d1e0f'
const CODE = '48213'
const PASSWORD = 'correct-horse-battery'
const EMAIL_CODE = '77123'
const BOT_TOKEN = '123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
const SECRETS = [API_HASH, CODE, PASSWORD, EMAIL_CODE, BOT_TOKEN]

/** Resolves when `check` holds, polling the file; rejects after `ms`. */
async function until (check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

t.test('real TDLib at debug_level 3: its request dumps are logged, without api_hash, code, password or token', async t => {
  t.ok(existsSync(CLI), 'dist is built (npx tsc -p tsconfig.json)')
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const logfile = join(dir, 'broker.log')
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({
    host: '127.0.0.1', port: 0, debug_level: 6, logfile: 'broker.log',
    tdlib: { api_id: 94575, api_hash: API_HASH, path: 'sessions', debug_level: 3 },
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'checkAuthenticationEmailCode', 'checkAuthenticationBotToken']
  }))
  const child = spawn(process.execPath, [CLI, 'start', '--settings', 'settings.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const exit = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await until(() => /listening on \S+:\d+/.test(out), 20_000, 'the broker to listen')
  const port = Number(/listening on \S+:(\d+)/.exec(out)?.[1])

  const client = await TestClient.connect(port)
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  // TDLib waits for the network to answer this one; it logs it (and auth.sendCode) at once.
  client.send({ '@type': 'setAuthenticationPhoneNumber', phone_number: '+15550001234', '@session': session })
  const refused = [
    await client.request({ '@type': 'checkAuthenticationCode', code: CODE, '@session': session }),
    await client.request({ '@type': 'checkAuthenticationPassword', password: PASSWORD, '@session': session }),
    await client.request({ '@type': 'checkAuthenticationEmailCode', code: { '@type': 'emailAddressAuthenticationCode', code: EMAIL_CODE }, '@session': session }),
    await client.request({ '@type': 'checkAuthenticationBotToken', token: BOT_TOKEN, '@session': session })
  ]
  t.ok(refused.every(r => r['@type'] === 'error'), 'TDLib refuses them in this state (and has logged them)')
  const logged = (): string => existsSync(logfile) ? readFileSync(logfile, 'utf8') : ''
  await until(() => logged().includes('Receive request') && logged().includes('checkAuthenticationBotToken {'), 15_000, "TDLib's line for the last request")
  child.kill('SIGTERM')
  t.equal(await exit, 0, 'the broker stops cleanly')

  const text = logged()
  const tdlibLines = text.split('\n').filter(l => l.includes('"component":"tdlib"')).map(l => (JSON.parse(l) as { msg: string }).msg)
  const dumpOf = (type: string): string | undefined => tdlibLines.find(m => m.includes(`Receive request`) && m.includes(`${type} {`))
  t.ok(tdlibLines.length > 20, `TDLib's own lines are there (${tdlibLines.length})`)
  t.match(dumpOf('setTdlibParameters'), /api_hash = \[redacted\]/, 'setTdlibParameters is logged, its api_hash blanked')
  t.match(dumpOf('setTdlibParameters'), /api_id = 94575/, '…and the rest kept')
  t.match(dumpOf('checkAuthenticationCode'), /code = \[redacted\]/, 'checkAuthenticationCode is logged, its code blanked')
  t.match(dumpOf('checkAuthenticationPassword'), /password = \[redacted\]/, 'checkAuthenticationPassword is logged, its password blanked')
  t.match(dumpOf('checkAuthenticationEmailCode'), /emailAddressAuthenticationCode \{\s+code = \[redacted\]/, 'the email code is blanked inside its object')
  t.match(dumpOf('checkAuthenticationBotToken'), /token = \[redacted\]/, 'the bot token is blanked')
  t.match(dumpOf('setAuthenticationPhoneNumber'), /phone_number = "\+15550001234"/, 'what is no credential stays readable')
  t.ok(tdlibLines.some(m => m.includes('auth.sendCode') && m.includes('api_hash = [redacted]')), "TDLib's MTProto query is logged with its api_hash blanked")
  for (const secret of SECRETS) {
    t.notOk(text.includes(secret), `${secret} is nowhere in the log file`)
    t.notOk(err.includes(secret) || out.includes(secret), `${secret} is not on stdout or stderr`)
  }
  t.notMatch(err, /Receive request/, 'TDLib writes no log of its own to stderr')
})

t.test('TDLib text dumps: field names, known values, one-line dumps, service texts, undelimitable strings', async t => {
  const known = new SecretValues()
  known.remember({ '@type': 'checkAuthenticationPassword', password: 'pa"ss\nword' })
  known.pin('pinned-hash-value')
  t.equal(cleanTdlibText('[ 3][t 4][1.2][Td.cpp:286]\tReceive request 4: checkAuthenticationPassword {\n  password = "pa"ss\nword"\n}', known),
    '[ 3][t 4][1.2][Td.cpp:286]\tReceive request 4: checkAuthenticationPassword {\n  password = [redacted]\n}', 'a known value goes even when it holds a quote and a newline')
  t.equal(cleanTdlibText('Create query auth.signIn { phone_number = "+1555" phone_code_hash = "abc" phone_code = "90817" }', known),
    'Create query auth.signIn { phone_number = "+1555" phone_code_hash = "abc" phone_code = [redacted] }', 'one-line dumps and MTProto names')
  t.equal(cleanTdlibText('x {\n  database_encryption_key = bytes [3] { 0A 0B 0C }\n  api_hash = "pinned-hash-value"\n}', known),
    'x {\n  database_encryption_key = [redacted]\n  api_hash = [redacted]\n}', 'bytes and pinned values')
  t.equal(cleanTdlibText('error {\n  code = 400\n  message = "PHONE_CODE_INVALID"\n}', known), 'error {\n  code = 400\n  message = "PHONE_CODE_INVALID"\n}', 'error codes stay')
  t.equal(cleanTdlibText('checkAuthenticationPassword {\n  password = "unknown"quoted"\n}', known), undefined, 'a credential that cannot be delimited drops the line')
  t.equal(cleanTdlibText('checkAuthenticationCode {\n  code = "never closed', known), undefined, 'an unterminated credential drops the line')
  const service = cleanTdlibText('[ 3][t 4][1796157648.70][Td.cpp:1361]\tSending update: updateNewMessage {\n  message = message {\n    sender_id = messageSenderUser {\n      user_id = 777000\n    }\n    content = messageText {\n      text = formattedText {\n        text = "Код для входа: 48 213. Never share it"\n', known)
  t.notMatch(service, /48 ?213/, 'a service message loses its code, in any language')
  t.match(service, /^\[ 3\]\[t 4\]\[1796157648\.70\]/, '…and keeps its header')
  t.match(cleanTdlibText('text = "Login code: PwFbh3Wd"', known), /Login code: \[redacted\]/, 'a login code phrase goes anywhere')
  t.match(cleanTdlibText('link = "tg://login?token=AQID_secret-token"', known), /^link = "tg:\/\/login\?token=\[redacted\]"$/, 'a QR login token goes')
})

t.test('the set of known secrets is bounded and forgets the oldest first', async t => {
  const known = new SecretValues()
  for (let i = 0; i < 300; i++) known.remember({ '@type': 'checkAuthenticationCode', code: `code-${i}` })
  t.equal(known.size, 256)
  t.equal(known.mask('code-299 code-0'), '[redacted] code-0', 'the newest is held, the oldest forgotten')
})

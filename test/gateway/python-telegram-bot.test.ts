/**
 * Unmodified python-telegram-bot 13 (Debian's python3-python-telegram-bot,
 * for /usr/bin/python3) against the gateway, with the lines docs/bot-api.md
 * gives: test/gateway/fixtures/ptb13-echo.py calls getMe, then polls
 * (Updater.start_polling) and answers a customer's message. Skipped only when
 * the module is not installed.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { botMessage, INLINE_BOT, say, withGateway } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('./fixtures/ptb13-echo.py', import.meta.url))
const probe = spawnSync(PYTHON, ['-c', 'import telegram; print(telegram.__version__)'], { encoding: 'utf8', timeout: 20_000 })
const version = probe.status === 0 ? probe.stdout.trim() : undefined
const skip = version === undefined ? `python-telegram-bot is not installed for ${PYTHON} (apt-get install python3-python-telegram-bot)` : false

t.test('python-telegram-bot 13 on long polling: getMe, a message in, the reply out', { skip }, async t => {
  t.match(version, /^13\./, 'the version these lines are for')
  const { running, alice, tokens } = await withGateway(t, { ops: {} })
  const bot = spawn(PYTHON, ['-W', 'ignore', SCRIPT, tokens.ops!, running.apiRoot], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  bot.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<void>(resolve => { bot.on('exit', () => { resolve() }) })
  t.teardown(async () => {
    bot.kill('SIGTERM')
    const killer = setTimeout(() => { bot.kill('SIGKILL') }, 5_000)
    await exited
    clearTimeout(killer)
  })
  const events: Array<Record<string, any>> = []
  const waiters: Array<() => void> = []
  createInterface({ input: bot.stdout }).on('line', line => {
    events.push(JSON.parse(line) as Record<string, any>)
    for (const w of waiters.splice(0)) w()
  })
  /** The first event with `key`, within 20 s (or the bot's end). */
  const event = async (key: string): Promise<Record<string, any>> => {
    const deadline = Date.now() + 20_000
    for (;;) {
      const found = events.find(e => key in e)
      if (found !== undefined) return found
      if (bot.exitCode !== null || Date.now() > deadline) throw new Error(`no "${key}" from the bot (exit ${String(bot.exitCode)}): ${stderr}`)
      await new Promise<void>(resolve => { waiters.push(resolve); setTimeout(resolve, 200) })
    }
  }

  t.same((await event('me')).me, { id: INLINE_BOT.id, is_bot: true, username: INLINE_BOT.username }, 'getMe answered')
  await event('polling')
  await say(alice, 'hello ptb')
  t.equal((await event('heard')).heard, 'hello ptb', 'the message reached the bot')
  const reply = await botMessage(alice, "python-telegram-bot's reply")
  t.equal(reply.content.text.text, 'echo: hello ptb', 'the reply reached the customer')
  t.same(events.filter(e => 'error' in e), [], 'no handler failed')
})

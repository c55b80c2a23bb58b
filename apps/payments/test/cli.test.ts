/**
 * README.md's commands, run as pasted from the repository's root with bash
 * (test/helpers/readme-commands.ts): `npm run login -w apps/payments -- ...`
 * for the bot and then the account, with the answers a person would type on
 * stdin; `npm start -w apps/payments -- --config payments.json` and
 * `npm run operator ...`, each stopped with Ctrl-C; against a broker on the
 * sandbox. Filled in as a reader fills them: each `NAME=...` gets the real
 * secret, and `payments.json` is a settings file in the world's folder. The
 * compiled app is the one `npm install` built (the test run's pretest builds
 * it the same way); rebuilding dist/ under running tests is not safe.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { fillLine, lineWith, runLine, shellLines, stoppedCleanly } from '../../../test/helpers/readme-commands.js'
import { BOT, PEOPLE, startPaymentsWorld } from './helpers.js'

const LINES = shellLines(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../README.md'), 'utf8'))
/** What the app logs as an error (src/log.ts's JSON lines), or npm when the script failed. */
const ERRORS = /"level":"error"|npm error/

t.test("README.md's login, start and operator commands, as pasted", async t => {
  const w = await startPaymentsWorld()
  t.teardown(w.stop)
  const config = join(w.dir, 'payments.json')
  writeFileSync(config, JSON.stringify({
    broker: { url: `tcp://127.0.0.1:${w.port}`, client: 'payments-app' },
    account_session: w.accountSession,
    bot_api: { api_root: w.apiRoot },
    webhook: { host: '127.0.0.1', port: 0, path: '/payments-hook' },
    operators: [{ name: 'Olga', user_id: PEOPLE.olga.id }]
  }))
  const secrets = { PAYMENTS_BROKER_KEY: w.appKey.key, PAYMENTS_BOT_TOKEN: w.tokens.backend, PAYMENTS_WEBHOOK_SECRET: 'hook-secret', PAYMENTS_OPERATOR_TOKEN: w.tokens.olga }
  const line = (part: string): string => fillLine(lineWith(LINES, part), secrets, [['payments.json', config]])

  const bot = await runLine(line('npm run login -w apps/payments -- --bot'), /bot session (\d+), bot id (\d+)/, { input: `${BOT.token}\n` })
  t.equal(bot.code, 0, 'the bot login exits 0')
  t.equal(/bot id (\d+)/.exec(bot.stdout)?.[1], String(BOT.id), 'it prints the bot id that `tdbroker bot-token add` needs')

  const account = await runLine(line('npm run login -w apps/payments -- --config'), /"account_session": "(\d+)"/, { input: `${PEOPLE.account.phone}\n12345\n` })
  t.equal(account.code, 0, 'the account login exits 0')
  const session = /"account_session": "(\d+)"/.exec(account.stdout)?.[1]
  t.ok(session !== undefined && session !== w.accountSession, 'it prints a new session id to put in the settings')

  const started = await runLine(line('npm start -w apps/payments'), /payments desk running as @payments_sandbox_bot, webhook http:\/\/127\.0\.0\.1:\d+\/payments-hook/, { stop: true })
  stoppedCleanly(t, started, 'start', ERRORS)
  const operator = await runLine(line('npm run operator -w apps/payments'), /reading customers' messages as @payments_sandbox_bot \(read-only\)/, { stop: true })
  stoppedCleanly(t, operator, 'operator', ERRORS)
})

#!/usr/bin/env node
/**
 * tdbroker-payments: start the desk, run an operator's feed, or log the
 * account in. Every command takes --config FILE (default payments.json);
 * secrets come from the environment (README.md).
 */
import { connect, linePrompt, login } from '@tdbroker/client'
import { PaymentsApp } from './app.js'
import { brokerConfigFromObject, feedConfigFromObject, loadConfig, readConfigFile } from './config.js'
import { PaymentsError } from './errors.js'
import { stderrLog } from './log.js'
import { OperatorFeed } from './operator-feed.js'

const USAGE = `usage: tdbroker-payments start [--config FILE]      the desk (backend on its webhook, the account)
       tdbroker-payments operator [--config FILE]   an operator's feed of customers' messages (PAYMENTS_OPERATOR_TOKEN)
       tdbroker-payments login [--bot] [--config FILE]
                                                    logs the account (or, with --bot, the messenger bot) in as a new
                                                    broker session (PAYMENTS_BROKER_KEY); prints its id`

function configPath (args: string[]): string {
  const i = args.indexOf('--config')
  if (i === -1) return 'payments.json'
  const file = args[i + 1]
  if (file === undefined || file.startsWith('--')) throw new PaymentsError('CONFIG_INVALID', '--config needs a file')
  return file
}

/** Resolves on SIGINT or SIGTERM. */
async function untilSignal (): Promise<void> {
  await new Promise<void>(resolve => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve) })
}

async function start (file: string): Promise<void> {
  const app = new PaymentsApp(loadConfig(file))
  await app.start()
  console.log(`payments desk running as @${app.backend.bot.botInfo.username}, webhook ${app.webhookUrl}`)
  await untilSignal()
  await app.stop()
}

async function operator (file: string): Promise<void> {
  const feed = new OperatorFeed(feedConfigFromObject(readConfigFile(file), process.env), m => {
    console.log(`${new Date(m.date * 1000).toISOString()} [${m.chatTitle}] ${m.from.name}: ${m.text}`)
  })
  await feed.start()
  console.log(`reading customers' messages as @${feed.bot.botInfo.username} (read-only); approve with /approve <id> to the bot from your Telegram account`)
  await untilSignal()
  await feed.stop()
}

async function loginSession (file: string, bot: boolean): Promise<void> {
  const target = brokerConfigFromObject(readConfigFile(file), process.env)
  const client = await connect({ url: target.url, auth: { name: target.client, key: target.key } })
  const rl = linePrompt()
  try {
    const session = await client.createSession()
    if (bot) {
      await login(session, { type: 'bot', getToken: async retry => await rl.ask(retry ? 'Wrong token, again: ' : "The bot's token from BotFather: ") })
      const me = await session.invoke({ '@type': 'getMe' })
      console.log(`logged in as @${me.usernames?.active_usernames[0] ?? me.id}; bot session ${session.id}, bot id ${me.id} (for tdbroker bot-token add)`)
      return
    }
    await login(session, {
      getPhoneNumber: async () => await rl.ask('Phone number of the account: '),
      getAuthCode: async retry => await rl.ask(retry ? 'Wrong code, again: ' : 'Login code: '),
      getPassword: async (hint, retry) => await rl.ask(`${retry ? 'Wrong password, again' : 'Password'}${hint === '' ? '' : ` (hint: ${hint})`}: `)
    })
    console.log(`logged in; put this in the settings: "account_session": "${session.id}"`)
  } finally {
    rl.close()
    client.close()
  }
}

async function main (args: string[]): Promise<void> {
  const [command, ...rest] = args
  if (command === 'start') await start(configPath(rest))
  else if (command === 'operator') await operator(configPath(rest))
  else if (command === 'login') await loginSession(configPath(rest), rest.includes('--bot'))
  else {
    console.error(USAGE)
    process.exitCode = 2
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  stderrLog('error', e instanceof PaymentsError ? e.message : String(e))
  process.exitCode = 1
})

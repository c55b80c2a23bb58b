#!/usr/bin/env node
/**
 * support-desk start [--config desk.json]   runs the desk until SIGINT/SIGTERM
 * support-desk login --url tcp://host:port  logs a staff member's account (or, with --bot, the bot) into a
 *                                           new broker session and prints its id for desk.json
 */
import { connect, linePrompt, login } from '@tdbroker/client'
import { startDesk } from './app.js'
import { loadConfig } from './config.js'
import { DeskError } from './errors.js'

const USAGE = 'usage: support-desk start [--config desk.json] | support-desk login --url tcp://host:port [--bot]'

function flag (args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

async function start (args: string[]): Promise<void> {
  const config = loadConfig(flag(args, '--config') ?? 'desk.json')
  const running = await startDesk(config)
  const stop = (): void => { void running.stop().then(() => { process.exit(0) }) }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function loginCommand (args: string[]): Promise<void> {
  const url = flag(args, '--url')
  if (url === undefined) throw new DeskError('INVALID_CONFIG', `--url is required; ${USAGE}`)
  const key = process.env.DESK_BROKER_KEY
  const name = flag(args, '--auth-name')
  const client = await connect({ url, ...(name === undefined || key === undefined ? {} : { auth: { name, key } }) })
  const rl = linePrompt()
  try {
    const session = await client.createSession()
    if (args.includes('--bot')) await login(session, { type: 'bot', getToken: async () => await rl.ask('bot token: ') })
    else {
      await login(session, {
        getPhoneNumber: async () => await rl.ask('phone number: '),
        getAuthCode: async retry => await rl.ask(retry ? 'wrong code, again: ' : 'login code: '),
        getPassword: async (hint, retry) => await rl.ask(`${retry ? 'wrong password, again' : 'password'}${hint === '' ? '' : ` (hint: ${hint})`}: `)
      })
    }
    const me = await session.invoke({ '@type': 'getMe' })
    process.stdout.write(`${session.id}\n`)
    process.stderr.write(`logged in as ${me.first_name} (${me.id}); put the session id above in desk.json\n`)
    await session.detach()
  } finally {
    rl.close()
    client.close()
  }
}

const [command, ...rest] = process.argv.slice(2)
const run = command === 'start' ? start : command === 'login' ? loginCommand : undefined
if (run === undefined) {
  process.stderr.write(`${USAGE}\n`)
  process.exitCode = 2
} else {
  run(rest).catch((e: unknown) => {
    process.stderr.write(`support-desk: ${e instanceof DeskError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
}

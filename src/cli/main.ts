#!/usr/bin/env node
/**
 * The `tdbroker` command. Each subcommand lives in its own module; this file
 * only dispatches and turns failures into clear messages and exit codes.
 */
import { runStart } from './start.js'
import { runStatus } from './status.js'
import { VERSION } from '../version.js'

const USAGE = `tdbroker ${VERSION}: a self-hosted Telegram session broker

usage:
  tdbroker start [--settings FILE] [--sandbox] [--host HOST] [--port PORT]
      start the broker; without --settings it reads storage/settings.json if it
      exists, else runs on its embedded defaults (localhost:23456)
  tdbroker check-config FILE
      validate a settings file and print the effective settings, secrets masked
  tdbroker status [--settings FILE] [--host HOST] [--port PORT]
      ask a running broker for its status (exit 0 when it answers)
  tdbroker cert create|create-ca|show|check ...
      create and inspect TLS certificates (tdbroker cert --help)
  tdbroker client add NAME
      print a new key for a client (shown once) and its settings entry (docs/clients.md)
  tdbroker bot-token add NAME --session ID --bot-id N [--client CLIENT]
      print a new Bot API token (shown once) and its bot_api.consumers entry (docs/bot-api.md)
  tdbroker restore SESSION_ID [--settings FILE] [--force]
      bring a session back from its MySQL backup (the broker must not run on
      this storage, and the session must not run on any other host)
  tdbroker version`

/**
 * Output read by a pipe whose reader went away (`tdbroker cert show … | head`)
 * is not an error: the rest of it is dropped quietly and the command ends
 * with its own exit code.
 */
let stdoutGone = false
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') {
    stdoutGone = true
    return
  }
  process.stderr.write(`tdbroker: cannot write to standard output: ${e.message}\n`)
  process.exitCode = 1
})
// The same for error output (`2>&1 | head`): the exit code still says what happened.
process.stderr.on('error', () => { /* nowhere left to say it */ })

async function main (argv: string[]): Promise<number> {
  const [command, ...args] = argv
  const out = (line: string): void => { if (!stdoutGone) process.stdout.write(line + '\n') }
  const err = (line: string): void => { process.stderr.write(line + '\n') }
  switch (command) {
    case 'start':
      return await runStart(args, out, err)
    case 'check-config': {
      if (args.length !== 1 || args[0] === undefined) { err('usage: tdbroker check-config FILE'); return 64 }
      const { checkConfig } = await import('./check-config.js')
      return await checkConfig(args[0], out)
    }
    case 'status':
      return await runStatus(args, out, err)
    case 'drain': return await (await import('./drain.js')).runDrain(args, out, err)
    case 'restore': {
      const { runRestore } = await import('./restore.js')
      return await runRestore(args, out, err)
    }
    case 'bot-token': {
      const { botTokenCommand } = await import('./bot-token.js')
      return await botTokenCommand(args, out, err)
    }
    case 'client': {
      const { clientCommand } = await import('./client.js')
      return await clientCommand(args, out, err)
    }
    case 'cert': {
      const { certCommand } = await import('./cert.js')
      return await certCommand(args, out, err)
    }
    case 'version':
    case '--version':
      out(VERSION)
      return 0
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE)
      return command === undefined ? 64 : 0
    default:
      err(`tdbroker: unknown command "${command}"\n\n${USAGE}`)
      return 64
  }
}

main(process.argv.slice(2)).then(code => {
  if (code !== 0 || process.argv[2] !== 'start') process.exitCode = code
}, e => {
  process.stderr.write(`tdbroker: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})

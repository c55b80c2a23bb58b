/**
 * The `tdbroker` command's dispatch: each subcommand lives in its own module;
 * this one only picks it. main.ts runs it as the program.
 */
import { runStart } from './start.js'
import { runStatus } from './status.js'
import { VERSION } from '../version.js'
import { runCommand, type CommandSpec, type Line } from './args.js'

const VERSION_COMMAND: CommandSpec = { usage: 'usage: tdbroker version\n  print the version', options: {}, positionals: [0, 0] }

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
  tdbroker drain NODE [--settings FILE]
      move a cluster node's sessions to the other nodes (docs/cluster.md)
  tdbroker backup SESSION_ID --output FILE [--from local|mysql] [--settings FILE]
      write a session's backup as a tar archive (tar tf FILE lists it)
  tdbroker restore SESSION_ID [--file FILE] [--settings FILE] [--force]
      bring a session back from its MySQL backup or a tar archive (the broker
      must not run on this storage, nor the session on any other host)
  tdbroker version

every command takes --help`

/** Runs `tdbroker ARGV` with its output through `out` and `err`; resolves with the exit code. */
export async function tdbroker (argv: string[], out: Line, err: Line): Promise<number> {
  const [command, ...args] = argv
  switch (command) {
    case 'start':
      return await runStart(args, out, err)
    case 'check-config': {
      const { CHECK_CONFIG, checkConfig } = await import('./check-config.js')
      return await runCommand('check-config', CHECK_CONFIG, args, out, err, async ({ positionals }) => await checkConfig(positionals[0]!, out))
    }
    case 'status':
      return await runStatus(args, out, err)
    case 'drain': {
      const { runDrain } = await import('./drain.js')
      return await runDrain(args, out, err)
    }
    case 'backup': {
      const { runBackup } = await import('./backup.js')
      return await runBackup(args, out, err)
    }
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
      return await runCommand('version', VERSION_COMMAND, command === 'version' ? args : [], out, err, async () => { out(VERSION); return 0 })
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


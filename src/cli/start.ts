/**
 * `tdbroker start`: load settings, start the broker, stop cleanly on SIGTERM
 * or SIGINT (exit 0), and say plainly what went wrong when it cannot start.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Broker } from '../broker.js'
import { createLogger, logAlways } from '../log/logger.js'
import { embeddedDefaults, loadSettings } from '../settings/load.js'
import { settingsWarnings } from '../settings/warnings.js'
import type { Settings } from '../settings/types.js'
import { createBackend } from '../tdlib/create-backend.js'
import { VERSION } from '../version.js'
import { ADDRESS_OPTIONS, EX_USAGE, parseCommandLine, portOption, SETTINGS_OPTION, stringOption, UsageError, type CommandSpec, type OptionValues } from './args.js'

/** Where `start` looks for settings when --settings is not given. */
export const DEFAULT_SETTINGS_FILE = 'storage/settings.json'

export const START: CommandSpec = {
  usage: `usage: tdbroker start [--settings FILE] [--sandbox] [--host HOST] [--port PORT]
  start the broker; without --settings it reads storage/settings.json if it exists,
  else runs on its embedded defaults (localhost:23456, sessions in storage/sessions)
  --sandbox   an emulated Telegram instead of TDLib (docs/sandbox.md)
  --host, --port   listen there instead of what the settings say
  SIGTERM or SIGINT stops every session cleanly; SIGHUP reloads clients and certificates`,
  options: { ...SETTINGS_OPTION, ...ADDRESS_OPTIONS, sandbox: { type: 'boolean' } },
  positionals: [0, 0]
}

/** The settings that `start` (and the commands that share its options: --settings, --sandbox, --host, --port) run with. */
export function settingsForStart (options: OptionValues, cwd: string): Settings {
  const file = stringOption(options, 'settings')
  // --sandbox applies before defaults are filled in: sandbox sessions default to a folder of their own.
  const sandbox = options.sandbox === true
  let settings: Settings
  if (file !== undefined) settings = loadSettings(resolve(cwd, file), sandbox)
  else if (existsSync(resolve(cwd, DEFAULT_SETTINGS_FILE))) settings = loadSettings(resolve(cwd, DEFAULT_SETTINGS_FILE), sandbox)
  else settings = embeddedDefaults(cwd, sandbox)
  const port = portOption(stringOption(options, 'port'))
  const host = stringOption(options, 'host')
  if (port !== undefined) settings = { ...settings, port }
  if (host !== undefined) settings = { ...settings, host }
  return settings
}

export async function runStart (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let settings: Settings
  let options: OptionValues
  const cwd = process.cwd()
  try {
    const parsed = parseCommandLine(START, args)
    if (parsed === undefined) {
      out(START.usage)
      return 0
    }
    options = parsed.values
    settings = settingsForStart(options, cwd)
  } catch (e) {
    err(`tdbroker: cannot start: ${e instanceof Error ? e.message : String(e)}`)
    if (e instanceof UsageError) {
      err('')
      err(START.usage)
      return EX_USAGE
    }
    return 1
  }
  const log = createLogger({ debugLevel: settings.debug_level, logfile: settings.logfile })
  const backend = await createBackend(settings, log)
  out(`tdbroker ${VERSION} (TDLib ${backend.tdlibVersion}, backend ${backend.kind}), settings: ${settings.file ?? 'embedded defaults'}`)
  logAlways(log, { version: VERSION, tdlib: backend.tdlibVersion, backend: backend.kind, settings: settings.file ?? 'embedded defaults' }, `tdbroker ${VERSION} starting`)
  if (backend.kind === 'sandbox') {
    out('SANDBOX: this broker talks to an emulated Telegram, not to Telegram; nothing here reaches real accounts')
    log.warn('SANDBOX backend: emulated Telegram, not for production')
  }
  for (const warning of settingsWarnings(settings)) {
    out(`warning: ${warning}`)
    // Without a logfile the log is stdout, which already has the line.
    if (settings.logfile !== undefined) log.warn(warning)
  }
  const broker = new Broker({ settings, backend, logger: log })
  try {
    await broker.start()
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    log.fatal({ err: message }, 'cannot start')
    err(`tdbroker: cannot start: ${message}`)
    log.flush()
    return 1
  }
  for (const endpoint of broker.endpoints) out(`listening on ${endpoint}`)
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    out(`${signal}: stopping (closing every session cleanly)`)
    broker.stop(signal).then(() => {
      log.flush()
      process.exit(0)
    }, e => {
      err(`tdbroker: stop failed: ${e instanceof Error ? e.message : String(e)}`)
      process.exit(1)
    })
  }
  process.on('SIGHUP', () => {
    // Clients, whitelists and the audit file come from the settings file again
    // (with the same command-line overrides); sessions keep running. A broken
    // file changes nothing and says why.
    try {
      const summary = broker.reloadClients(settingsForStart(options, cwd))
      log.info({ summary }, 'SIGHUP: clients and whitelists reloaded')
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'SIGHUP: settings not reloaded; the previous ones stay in use')
    }
    broker.reloadCertificates().catch(() => { /* logged by the broker; the old certificates stay in use */ })
  })
  // A failed promise nobody awaited is a bug of ours, not a reason to drop every session (Node would end
  // the process): it is logged, loudly, and the broker goes on.
  process.on('unhandledRejection', reason => {
    log.error({ err: reason instanceof Error ? { message: reason.message, stack: reason.stack } : String(reason) }, 'unhandled promise rejection (a bug: please report it); the broker goes on')
  })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('SIGINT', () => { shutdown('SIGINT') })
  return 0
}

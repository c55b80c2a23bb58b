/**
 * tdbroker as a library: start an embedded broker from a settings object
 * (the same keys as settings.json, validated the same way), for services that
 * want the broker in their own process. Services in other processes use
 * @tdbroker/client.
 */
import { Broker } from './broker.js'
import { createLogger, type Logger } from './log/logger.js'
import { loadSettings, settingsFromObject } from './settings/load.js'
import type { Settings } from './settings/types.js'
import { createBackend } from './tdlib/create-backend.js'

export { Broker, type BrokerAddresses, type BrokerState } from './broker.js'
export { BROKER_ERRORS, BrokerError, type BrokerErrorName } from './errors.js'
export { loadSettings, settingsFromObject, SettingsError } from './settings/load.js'
export type { Settings } from './settings/types.js'
export { VERSION, PROTOCOL_VERSION } from './version.js'

export interface StartOptions {
  /** Folder that relative paths in the settings (tdlib.path, logfile...) resolve against; default: the working directory. */
  baseDir?: string
  /** A pino logger to log to; default: one made from debug_level and logfile, as `tdbroker start` does. */
  logger?: Logger
}

/**
 * Validates `settings` (a settings.json object, or a path to one) and starts a
 * broker on it. Resolves once it listens (`broker.addresses`, `broker.endpoints`);
 * `await broker.stop()` closes every session cleanly.
 */
export async function startBroker (settings: Record<string, unknown> | string, options: StartOptions = {}): Promise<Broker> {
  const loaded: Settings = typeof settings === 'string' ? loadSettings(settings) : settingsFromObject(settings, options.baseDir ?? process.cwd())
  const logger = options.logger ?? createLogger({ debugLevel: loaded.debug_level, logfile: loaded.logfile })
  const backend = await createBackend(loaded, logger)
  const broker = new Broker({ settings: loaded, backend, logger })
  await broker.start()
  return broker
}

/**
 * One pino root logger for the broker; every unit of work (connection,
 * session) takes a child. debug_level follows siptg/storage's scale.
 */
import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

/** siptg's debug_level (0 none .. 6 verbose) to pino's level names. */
const LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

export function pinoLevel (debugLevel: number): string {
  return LEVELS[Math.max(0, Math.min(6, Math.trunc(debugLevel)))] ?? 'info'
}

export interface LoggerOptions {
  debugLevel: number
  /** Absolute path of the log file; unset logs to stdout. */
  logfile?: string
  /** Overrides the destination (tests read the NDJSON from a stream). */
  destination?: DestinationStream
}

/** Creates the root logger. With `logfile` the log goes to that file (appended). */
export function createLogger (options: LoggerOptions): Logger {
  const dest = options.destination ??
    (options.logfile !== undefined
      ? pino.destination({ dest: options.logfile, mkdir: true, append: true, sync: false })
      : pino.destination({ dest: 1, sync: false }))
  return pino({ level: pinoLevel(options.debugLevel), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest)
}

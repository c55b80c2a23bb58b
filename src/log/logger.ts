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

/** How much log output may wait for standard output before lines are dropped. */
const STDOUT_MAX_BUFFERED = 16 * 1024 * 1024

/** Creates the root logger. With `logfile` the log goes to that file (appended). */
export function createLogger (options: LoggerOptions): Logger {
  let dest = options.destination
  if (dest === undefined && options.logfile !== undefined) {
    dest = pino.destination({ dest: options.logfile, mkdir: true, append: true, sync: false })
  } else if (dest === undefined) {
    // Bounded: a standard output nobody reads any more (EPIPE keeps what is unwritten) must not grow the heap.
    const stdout = pino.destination({ dest: 1, sync: false, maxLength: STDOUT_MAX_BUFFERED })
    // Standard output read by a pipe whose reader went away (`| head`): the log is lost, not the broker.
    stdout.on('error', ignoreEpipe)
    dest = stdout
  }
  return pino({ level: pinoLevel(options.debugLevel), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest)
}

function ignoreEpipe (e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') process.stderr.write(`tdbroker: cannot write the log: ${e.message}\n`)
}

/**
 * Logs one info line whatever the level, even at debug_level 0 (siptg prints
 * its version there too): the line that says which broker wrote the log.
 */
export function logAlways (log: Logger, fields: Record<string, unknown>, msg: string): void {
  const level = log.level
  if (log.isLevelEnabled('info')) {
    log.info(fields, msg)
    return
  }
  // Only this logger's own level changes; children made before keep theirs.
  log.level = 'info'
  try {
    log.info(fields, msg)
  } finally {
    log.level = level
  }
}

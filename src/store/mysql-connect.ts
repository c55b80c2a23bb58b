/**
 * Turning the `mysql` settings into a mysql2 connection, and MySQL's
 * failures into words: a wrong password or a missing database is a mistake
 * to fix before the broker starts; a server that does not answer is an
 * outage the broker rides out.
 */
import { readFile } from 'node:fs/promises'
import mysql from 'mysql2/promise'
import type { Logger } from '../log/logger.js'
import type { MysqlSettings } from '../settings/types.js'

export type MysqlConnection = mysql.Connection

/** A mistake in the mysql settings or on the server (login, database, schema, TLS): fix it and start again. */
export class MysqlConfigError extends Error { override name = 'MysqlConfigError' }

/** mysql2's options for these settings; reads the ssl files (paths are absolute by now). */
export async function connectionOptions (settings: MysqlSettings): Promise<mysql.ConnectionOptions> {
  let ssl: mysql.SslOptions | undefined
  if (settings.ssl !== undefined) {
    ssl = { rejectUnauthorized: true }
    for (const key of ['key', 'cert', 'ca'] as const) {
      const file = settings.ssl[key]
      if (file === undefined) continue
      try {
        ssl[key] = await readFile(file)
      } catch (e) {
        throw new MysqlConfigError(`mysql/ssl/${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
      }
    }
  }
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    charset: settings.charset,
    // Times are written and read as UTC, so hosts in different zones agree.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10_000,
    ...(ssl === undefined ? {} : { ssl }),
  }
}

/** Opens one connection. Throws MysqlConfigError for mistakes, the driver's error for outages. */
export async function connect (settings: MysqlSettings): Promise<MysqlConnection> {
  const options = await connectionOptions(settings)
  try {
    const connection = await mysql.createConnection(options)
    // An idle connection that breaks emits 'error'; the next query reports it.
    connection.on('error', () => {})
    return connection
  } catch (e) {
    throw configError(settings, e) ?? e
  }
}

/** Closes politely (QUIT) if the server answers within a moment, else drops the socket. */
export async function endConnection (connection: MysqlConnection): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>(resolve => { timer = setTimeout(() => { resolve('late') }, 2000) })
  const outcome = await Promise.race([connection.end().then(() => 'ended' as const, () => 'failed' as const), late])
  clearTimeout(timer)
  if (outcome !== 'ended') connection.destroy()
}

/** The MysqlConfigError for a failure that is a mistake rather than an outage, else undefined. */
export function configError (settings: MysqlSettings, e: unknown): MysqlConfigError | undefined {
  const where = `${settings.user}@${settings.host}:${settings.port}`
  const code = (e as { code?: string }).code
  const message = e instanceof Error ? e.message : String(e)
  if (e instanceof TypeError && /charset/i.test(message)) return new MysqlConfigError(`mysql/charset: ${message}`)
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return new MysqlConfigError(`MySQL refused the login ${where}: check mysql/user and mysql/password (${message})`)
    case 'ER_DBACCESS_DENIED_ERROR':
      return new MysqlConfigError(`MySQL user ${settings.user} may not use database ${settings.database}: grant it access (${message})`)
    case 'ER_BAD_DB_ERROR':
      return new MysqlConfigError(`MySQL database ${settings.database} does not exist on ${settings.host}:${settings.port}: create it and apply schema.sql (${message})`)
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new MysqlConfigError(`mysql/ssl is set but the server at ${settings.host}:${settings.port} does not offer TLS`)
  }
  if (code !== undefined && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ERR_OSSL/.test(code)) {
    return new MysqlConfigError(`TLS to MySQL at ${settings.host}:${settings.port} failed: ${message} (check mysql/ssl)`)
  }
  return undefined
}

/**
 * True for failures of the data itself (too long, a broken constraint):
 * retrying cannot help, so the write is dropped and logged. Anything else
 * (network, server down, locks, timeouts) is an outage and is retried.
 */
export function isDataError (e: unknown): boolean {
  const state = (e as { sqlState?: string }).sqlState
  return typeof state === 'string' && (state.startsWith('22') || state.startsWith('23'))
}

/** Runs one statement, with read_timeout and, when mysql/debug is set, a log line for it. */
export async function run (connection: MysqlConnection, settings: MysqlSettings, log: Logger, sql: string, values?: unknown): Promise<unknown> {
  const started = Date.now()
  try {
    const [result] = await connection.query({ sql, values: values as mysql.QueryOptions['values'], ...(settings.read_timeout > 0 ? { timeout: settings.read_timeout * 1000 } : {}) })
    if (settings.debug) log.info({ sql: brief(sql), values: describeValues(values), ms: Date.now() - started, rows: Array.isArray(result) ? result.length : (result as { affectedRows?: number }).affectedRows }, 'mysql')
    return result
  } catch (e) {
    if (settings.debug) log.info({ sql: brief(sql), values: describeValues(values), ms: Date.now() - started, err: (e as Error).message }, 'mysql failed')
    throw e
  }
}

function brief (sql: string): string {
  return sql.replace(/\s+/g, ' ').trim()
}

/** Values for the debug log: binary data as its size only. */
function describeValues (values: unknown): unknown {
  if (values === undefined) return undefined
  return JSON.parse(JSON.stringify(values, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `<${((v as { data: unknown[] }).data).length} bytes>`
    return v
  }))
}

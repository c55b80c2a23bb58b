/**
 * The tables schema.sql creates, as the broker expects them. On start the
 * broker compares this with the database and names every table and column
 * that is missing, instead of failing later on the first write.
 */
import type { Logger } from '../log/logger.js'
import type { MysqlSettings } from '../settings/types.js'
import { MysqlConfigError, run, type MysqlConnection } from './mysql-connect.js'

export const EXPECTED_TABLES: Readonly<Record<string, readonly string[]>> = {
  sessions: ['session_id', 'user_id', 'phone', 'is_bot', 'created', 'last_active'],
  users: ['user_id', 'phone', 'is_bot', 'updated'],
  usernames: ['username', 'chat_id', 'user_id', 'is_bot', 'resolved'],
  session_backups: ['session_id', 'taken', 'size', 'sha256', 'chunks', 'files', 'login_only'],
  session_backup_chunks: ['session_id', 'seq', 'data'],
}

/** What is missing from the database, in words; empty when the schema is complete. */
export async function missingSchema (connection: MysqlConnection, settings: MysqlSettings, log: Logger): Promise<string[]> {
  const rows = await run(connection, settings, log,
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()') as Array<{ t: string, c: string }>
  const present = new Map<string, Set<string>>()
  for (const { t, c } of rows) {
    const columns = present.get(t.toLowerCase()) ?? new Set<string>()
    columns.add(c.toLowerCase())
    present.set(t.toLowerCase(), columns)
  }
  const missing: string[] = []
  for (const [table, columns] of Object.entries(EXPECTED_TABLES)) {
    const have = present.get(table)
    if (have === undefined) {
      missing.push(`table ${table}`)
      continue
    }
    for (const column of columns) if (!have.has(column)) missing.push(`column ${table}.${column}`)
  }
  return missing
}

/** Throws a MysqlConfigError listing what is missing. */
export async function checkSchema (connection: MysqlConnection, settings: MysqlSettings, log: Logger): Promise<void> {
  const missing = await missingSchema(connection, settings, log)
  if (missing.length === 0) return
  throw new MysqlConfigError(`MySQL database ${settings.database} lacks tdbroker's tables: missing ${missing.join(', ')}. ` +
    `Apply schema.sql (mysql -h ${settings.host} -P ${settings.port} -u ${settings.user} -p ${settings.database} < schema.sql) and start again`)
}

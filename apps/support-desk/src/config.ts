/**
 * The desk's configuration file (JSON): validated once, unknown keys are
 * errors (a typo must not pass silently), defaults filled in, frozen. Every
 * problem is reported at once, with its place.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { DEPARTMENT_IDS, isDepartment, type DepartmentId } from './departments.js'
import { DeskError } from './errors.js'

export interface DeskConfig {
  broker: { url: string, auth?: { name: string, key: string } }
  /** The bot: a broker session already logged in, or a token to log a new session in with. */
  bot: { session?: string, token?: string }
  /** The SQLite file: the desk's history and the toolkit's chat states. */
  database: string
  staff: Array<{ session: string, department: DepartmentId, name?: string }>
  /** Timeout of each request to the broker (ms). */
  requestTimeoutMs: number
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reads a configuration object. `env` supplies DESK_BOT_TOKEN and
 * DESK_BROKER_KEY (kept out of files); `base` resolves a relative database path.
 */
export function parseConfig (raw: unknown, base: string, env: NodeJS.ProcessEnv = {}): Readonly<DeskConfig> {
  const problems: string[] = []
  const keys = (o: Obj, where: string, allowed: string[]): void => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) problems.push(`${where}.${k}: unknown key (known: ${allowed.join(', ')})`)
  }
  const str = (o: Obj, k: string, where: string, required: boolean): string | undefined => {
    const v = o[k]
    if (v === undefined) { if (required) problems.push(`${where}.${k}: required`); return undefined }
    if (typeof v !== 'string' || v === '') { problems.push(`${where}.${k}: a non-empty string`); return undefined }
    return v
  }
  if (!isObj(raw)) throw new DeskError('INVALID_CONFIG', '$: the configuration is a JSON object')
  keys(raw, '$', ['broker', 'bot', 'database', 'staff', 'request_timeout_ms'])
  const broker = isObj(raw.broker) ? raw.broker : (problems.push('$.broker: an object with url'), {})
  keys(broker, '$.broker', ['url', 'auth_name'])
  const url = str(broker, 'url', '$.broker', true) ?? ''
  if (url !== '' && !/^(tcp|tls|ws|wss):\/\//.test(url)) problems.push('$.broker.url: tcp://, tls://, ws:// or wss://')
  const authName = str(broker, 'auth_name', '$.broker', false)
  if (authName !== undefined && (env.DESK_BROKER_KEY ?? '') === '') problems.push('$.broker.auth_name: set DESK_BROKER_KEY to the client key')
  const bot = isObj(raw.bot) ? raw.bot : (problems.push('$.bot: an object with session (or the DESK_BOT_TOKEN variable)'), {})
  keys(bot, '$.bot', ['session'])
  const session = str(bot, 'session', '$.bot', false)
  const token = env.DESK_BOT_TOKEN === '' ? undefined : env.DESK_BOT_TOKEN
  if (session === undefined && token === undefined) problems.push('$.bot.session: give the bot\'s broker session, or set DESK_BOT_TOKEN')
  const database = raw.database === undefined ? 'desk.sqlite' : str(raw, 'database', '$', true) ?? ''
  const staff: DeskConfig['staff'] = []
  if (!Array.isArray(raw.staff) || raw.staff.length === 0) problems.push('$.staff: a list of staff members ({ session, department, name? })')
  else {
    const seen = new Set<string>()
    raw.staff.forEach((s, i) => {
      const where = `$.staff[${i}]`
      if (!isObj(s)) { problems.push(`${where}: an object`); return }
      keys(s, where, ['session', 'department', 'name'])
      const sid = str(s, 'session', where, true)
      const dep = str(s, 'department', where, true)
      const name = str(s, 'name', where, false)
      if (dep !== undefined && !isDepartment(dep)) problems.push(`${where}.department: one of ${DEPARTMENT_IDS.join(', ')}`)
      if (sid !== undefined && seen.has(sid)) problems.push(`${where}.session: listed twice`)
      if (sid !== undefined) seen.add(sid)
      if (sid !== undefined && dep !== undefined && isDepartment(dep)) staff.push({ session: sid, department: dep, ...(name === undefined ? {} : { name }) })
    })
  }
  const timeout = raw.request_timeout_ms ?? 30_000
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 100 || timeout > 600_000) problems.push('$.request_timeout_ms: an integer from 100 to 600000')
  if (problems.length > 0) throw new DeskError('INVALID_CONFIG', `configuration: ${problems.join('; ')}`)
  const config: DeskConfig = {
    broker: { url, ...(authName === undefined ? {} : { auth: { name: authName, key: env.DESK_BROKER_KEY ?? '' } }) },
    bot: { ...(session === undefined ? {} : { session }), ...(token === undefined || session !== undefined ? {} : { token }) },
    database: database === ':memory:' ? database : resolve(base, database),
    staff: staff.map(s => Object.freeze(s)),
    requestTimeoutMs: timeout as number
  }
  return Object.freeze(config)
}

export function loadConfig (file: string, env: NodeJS.ProcessEnv = process.env): Readonly<DeskConfig> {
  let raw: unknown
  try { raw = JSON.parse(readFileSync(file, 'utf8')) } catch (e) {
    throw new DeskError('INVALID_CONFIG', `${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  return parseConfig(raw, dirname(resolve(file)), env)
}

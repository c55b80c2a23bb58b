/**
 * The app's settings file: one strict shape (an unknown key is an error, so a
 * typo cannot pass silently), defaults filled in, checked once, frozen.
 * Secrets are not in the file: they come from the environment, so the file
 * can be shown and committed.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { PaymentsError } from './errors.js'

export interface Operator {
  /** A name for logs and messages. */
  name: string
  /** The operator's own Telegram account: invite links go there, `/approve` is taken from it. */
  userId: number
}

export interface PaymentsConfig {
  broker: { url: string, client: string, key: string }
  /** The broker session of the user account that creates the groups (already logged in). */
  accountSession: string
  /** The messenger bot's backend consumer on the gateway. */
  botApi: { apiRoot: string, token: string }
  /** `url` is where the gateway delivers; unset, http://host:port/path of the listener itself. */
  webhook: { host: string, port: number, path: string, url: string | undefined, secret: string }
  operators: readonly Operator[]
  /** The app's own records (customers, groups, payments), as JSON; relative to the settings file. */
  stateFile: string
  /** `{customer}` is replaced by the customer's name. */
  groupTitle: string
  maxCustomers: number
  maxPayments: number
}

/** The environment variables the secrets come from. */
export const ENV = {
  brokerKey: 'PAYMENTS_BROKER_KEY',
  botToken: 'PAYMENTS_BOT_TOKEN',
  webhookSecret: 'PAYMENTS_WEBHOOK_SECRET',
  operatorToken: 'PAYMENTS_OPERATOR_TOKEN'
} as const

type Raw = Record<string, unknown>

const SHAPE: Record<string, readonly string[]> = {
  $: ['broker', 'account_session', 'bot_api', 'webhook', 'operators', 'state_file', 'group_title', 'max_customers', 'max_payments'],
  broker: ['url', 'client'],
  bot_api: ['api_root'],
  webhook: ['host', 'port', 'path', 'url'],
  operator: ['name', 'user_id']
}

class Checker {
  readonly problems: string[] = []

  object (value: unknown, at: string, shape: string): Raw {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) { this.problems.push(`${at}: must be an object`); return {} }
    for (const key of Object.keys(value)) if (!(SHAPE[shape] ?? []).includes(key)) this.problems.push(`${at}.${key}: unknown key`)
    return value as Raw
  }

  text (o: Raw, key: string, at: string, fallback?: string): string {
    const v = o[key] ?? fallback
    if (typeof v !== 'string' || v.trim() === '') { this.problems.push(`${at}.${key}: must be a non-empty string`); return '' }
    return v
  }

  int (o: Raw, key: string, at: string, min: number, max: number, fallback?: number): number {
    const v = o[key] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) { this.problems.push(`${at}.${key}: must be an integer from ${min} to ${max}`); return min }
    return v
  }
}

/**
 * Checks a settings object (as read from the file) and the environment;
 * throws PaymentsError CONFIG_INVALID listing every problem at once.
 * `baseDir` is where a relative state_file is.
 */
export function configFromObject (raw: unknown, env: Record<string, string | undefined>, baseDir: string): Readonly<PaymentsConfig> {
  const c = new Checker()
  const top = c.object(raw, '$', '$')
  const broker = c.object(top.broker, '$.broker', 'broker')
  const botApi = c.object(top.bot_api, '$.bot_api', 'bot_api')
  const webhook = c.object(top.webhook, '$.webhook', 'webhook')
  const operators: Operator[] = []
  if (!Array.isArray(top.operators) || top.operators.length === 0) c.problems.push('$.operators: must be a non-empty list')
  else {
    top.operators.forEach((o: unknown, i) => {
      const at = `$.operators[${i}]`
      const op = c.object(o, at, 'operator')
      operators.push({ name: c.text(op, 'name', at), userId: c.int(op, 'user_id', at, 1, Number.MAX_SAFE_INTEGER) })
    })
    if (new Set(operators.map(o => o.userId)).size !== operators.length) c.problems.push('$.operators: a user_id is listed twice')
  }
  const path = c.text(webhook, 'path', '$.webhook', '/payments-hook')
  if (path !== '' && !path.startsWith('/')) c.problems.push('$.webhook.path: must start with /')
  const secret = (name: string, pattern?: RegExp): string => {
    const v = env[name]
    if (v === undefined || v === '') { c.problems.push(`environment: ${name} is not set`); return '' }
    if (pattern !== undefined && !pattern.test(v)) c.problems.push(`environment: ${name} must match ${String(pattern)}`)
    return v
  }
  const config: PaymentsConfig = {
    broker: { url: c.text(broker, 'url', '$.broker'), client: c.text(broker, 'client', '$.broker'), key: secret(ENV.brokerKey) },
    accountSession: c.text(top, 'account_session', '$'),
    botApi: { apiRoot: c.text(botApi, 'api_root', '$.bot_api').replace(/\/+$/, ''), token: secret(ENV.botToken, /^\d+:\S+$/) },
    webhook: {
      host: c.text(webhook, 'host', '$.webhook', '127.0.0.1'),
      port: c.int(webhook, 'port', '$.webhook', 0, 65535),
      path,
      url: webhook.url === undefined ? undefined : c.text(webhook, 'url', '$.webhook'),
      // Telegram's rule for secret_token: 1-256 of A-Z a-z 0-9 _ -.
      secret: secret(ENV.webhookSecret, /^[A-Za-z0-9_-]{1,256}$/)
    },
    operators,
    stateFile: resolve(baseDir, c.text(top, 'state_file', '$', 'payments-state.json')),
    groupTitle: c.text(top, 'group_title', '$', 'Payments: {customer}'),
    maxCustomers: c.int(top, 'max_customers', '$', 1, 1_000_000, 10_000),
    maxPayments: c.int(top, 'max_payments', '$', 1, 1_000_000, 10_000)
  }
  if (c.problems.length > 0) throw new PaymentsError('CONFIG_INVALID', `the settings are not valid:\n  ${c.problems.join('\n  ')}`)
  return deepFreeze(config)
}

/** What an operator's feed needs from the same file: the gateway, and the operator's token from the environment. */
export function feedConfigFromObject (raw: unknown, env: Record<string, string | undefined>): { apiRoot: string, token: string } {
  const c = new Checker()
  const botApi = c.object(c.object(raw, '$', '$').bot_api, '$.bot_api', 'bot_api')
  const apiRoot = c.text(botApi, 'api_root', '$.bot_api').replace(/\/+$/, '')
  const token = env[ENV.operatorToken] ?? ''
  if (!/^\d+:\S+$/.test(token)) c.problems.push(`environment: ${ENV.operatorToken} must be set to the operator's token (<bot id>:<secret>)`)
  if (c.problems.length > 0) throw new PaymentsError('CONFIG_INVALID', `the settings are not valid:\n  ${c.problems.join('\n  ')}`)
  return { apiRoot, token }
}

/** What logging the account in needs: the broker, and the client key from the environment. */
export function brokerConfigFromObject (raw: unknown, env: Record<string, string | undefined>): { url: string, client: string, key: string } {
  const c = new Checker()
  const broker = c.object(c.object(raw, '$', '$').broker, '$.broker', 'broker')
  const out = { url: c.text(broker, 'url', '$.broker'), client: c.text(broker, 'client', '$.broker'), key: env[ENV.brokerKey] ?? '' }
  if (out.key === '') c.problems.push(`environment: ${ENV.brokerKey} is not set`)
  if (c.problems.length > 0) throw new PaymentsError('CONFIG_INVALID', `the settings are not valid:\n  ${c.problems.join('\n  ')}`)
  return out
}

/** Reads a settings file as JSON (not checked yet). */
export function readConfigFile (file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new PaymentsError('CONFIG_INVALID', `cannot read the settings file ${file}: ${(e as Error).message}`)
  }
}

/** Reads and checks a settings file (JSON). */
export function loadConfig (file: string, env: Record<string, string | undefined> = process.env): Readonly<PaymentsConfig> {
  return configFromObject(readConfigFile(file), env, dirname(resolve(file)))
}

function deepFreeze<T> (o: T): T {
  if (typeof o === 'object' && o !== null) for (const v of Object.values(o)) deepFreeze(v)
  return Object.freeze(o)
}

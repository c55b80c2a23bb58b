/**
 * The sandbox world's seed: the JSON a tester writes to say who exists in the
 * emulated Telegram. Validated once (shape by JSON Schema, then the references
 * between entries), with every problem listed in one error.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'

export interface SeedUser {
  id: number
  /** Digits only, with or without a leading "+". */
  phone: string
  first_name: string
  last_name?: string
  username?: string
  /** The 2FA password; unset means the account has none. */
  password?: string
  password_hint?: string
  /** The login code; defaults to `defaults.login_code`. */
  login_code?: string
  /** The account must set a login email address before the code step. */
  needs_email?: boolean
  /** The code "sent" to that email address; defaults to `defaults.email_code`. */
  email_code?: string
  /** User ids this user has in its contact list (one direction). */
  contacts?: number[]
}

export interface SeedBot {
  id: number
  username: string
  /** "<id>:<secret>", as BotFather issues them. */
  token: string
  first_name: string
  last_name?: string
  /** Accepts inline queries. */
  inline?: boolean
  inline_placeholder?: string
}

export interface SeedBasicGroup {
  /** basic_group_id; the chat id is its negation. */
  id: number
  title: string
  creator: number
  members?: number[]
}

export interface SeedSupergroup {
  /** supergroup_id; the chat id is -(1000000000000 + id). */
  id: number
  title: string
  username?: string
  description?: string
  is_channel?: boolean
  creator: number
  admins?: number[]
  members?: number[]
}

export interface SandboxWorldSeed {
  description?: string
  defaults?: { login_code?: string, email_code?: string }
  users?: SeedUser[]
  bots?: SeedBot[]
  basic_groups?: SeedBasicGroup[]
  supergroups?: SeedSupergroup[]
}

/** The seed is not usable; the message lists every problem found. */
export class SandboxSeedError extends Error {
  readonly problems: string[]
  constructor (source: string, problems: string[]) {
    super(`invalid sandbox world (${source}):\n  ${problems.join('\n  ')}`)
    this.problems = problems
  }
}

export const DEFAULT_LOGIN_CODE = '12345'
export const DEFAULT_EMAIL_CODE = '123456'
/** The "Telegram" service account that sends login codes; always present. */
export const SERVICE_USER_ID = 777000

const id = { type: 'integer', minimum: 1, maximum: 999999999999 }
const ids = { type: 'array', items: id, uniqueItems: true }
const code = { type: 'string', pattern: '^[0-9]{5,6}$' }
const username = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{4,31}$' }
const name = { type: 'string', minLength: 1, maxLength: 64 }

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: 'string' },
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: { login_code: code, email_code: code },
    },
    users: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'phone', 'first_name'],
        properties: {
          id,
          phone: { type: 'string', pattern: '^\\+?[0-9]{5,15}$' },
          first_name: name,
          last_name: { type: 'string', maxLength: 64 },
          username,
          password: { type: 'string', minLength: 1 },
          password_hint: { type: 'string' },
          login_code: code,
          needs_email: { type: 'boolean' },
          email_code: code,
          contacts: ids,
        },
      },
    },
    bots: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'username', 'token', 'first_name'],
        properties: {
          id,
          username: { ...username, pattern: '^[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]$' },
          token: { type: 'string', pattern: '^[0-9]+:[A-Za-z0-9_-]+$' },
          first_name: name,
          last_name: { type: 'string', maxLength: 64 },
          inline: { type: 'boolean' },
          inline_placeholder: { type: 'string' },
        },
      },
    },
    basic_groups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'creator'],
        properties: { id, title: { ...name, maxLength: 128 }, creator: id, members: ids },
      },
    },
    supergroups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'creator'],
        properties: {
          id,
          title: { ...name, maxLength: 128 },
          username,
          description: { type: 'string' },
          is_channel: { type: 'boolean' },
          creator: id,
          admins: ids,
          members: ids,
        },
      },
    },
  },
} as const

const validateShape = new Ajv({ allErrors: true, strict: true }).compile<SandboxWorldSeed>(SCHEMA)

function describe (e: ErrorObject): string {
  const path = '$' + e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')
  if (e.keyword === 'additionalProperties') {
    return `${path}: unknown key "${String(e.params.additionalProperty)}"`
  }
  if (e.keyword === 'pattern' && e.instancePath.endsWith('/username')) {
    return `${path}: a username is 5 to 32 letters, digits or underscores, starting with a letter (a bot's ends in "bot")`
  }
  return `${path}: ${e.message ?? 'is invalid'}`
}

/** Checks a parsed seed; throws SandboxSeedError listing every problem. */
export function validateSeed (seed: unknown, source = 'seed'): SandboxWorldSeed {
  if (!validateShape(seed)) {
    throw new SandboxSeedError(source, (validateShape.errors ?? []).map(describe))
  }
  const problems: string[] = []
  const accounts = new Map<number, string>()
  const phones = new Set<string>()
  const usernames = new Set<string>()
  const claimUsername = (name: string | undefined, where: string): void => {
    if (name === undefined) return
    const key = name.toLowerCase()
    if (usernames.has(key)) problems.push(`${where}.username: "${name}" is already taken`)
    usernames.add(key)
  }
  const claimId = (value: number, where: string): void => {
    if (value === SERVICE_USER_ID) problems.push(`${where}.id: ${SERVICE_USER_ID} is the built-in "Telegram" service account`)
    if (accounts.has(value)) problems.push(`${where}.id: ${value} is already used by ${accounts.get(value)!}`)
    accounts.set(value, where)
  }
  seed.users?.forEach((u, i) => {
    const where = `$.users[${i}]`
    claimId(u.id, where)
    const phone = u.phone.replace(/^\+/, '')
    if (phones.has(phone)) problems.push(`${where}.phone: ${u.phone} is already used`)
    phones.add(phone)
    claimUsername(u.username, where)
  })
  seed.bots?.forEach((b, i) => {
    const where = `$.bots[${i}]`
    claimId(b.id, where)
    claimUsername(b.username, where)
    if (!b.token.startsWith(`${b.id}:`)) problems.push(`${where}.token: must start with the bot's id, "${b.id}:"`)
  })
  const isAccount = (value: number): boolean => accounts.has(value)
  const checkRefs = (list: number[] | undefined, where: string): void => {
    list?.forEach((value, j) => {
      if (!isAccount(value)) problems.push(`${where}[${j}]: no user or bot with id ${value}`)
    })
  }
  seed.users?.forEach((u, i) => checkRefs(u.contacts, `$.users[${i}].contacts`))
  const groupIds = new Set<number>()
  seed.basic_groups?.forEach((g, i) => {
    const where = `$.basic_groups[${i}]`
    if (groupIds.has(g.id)) problems.push(`${where}.id: basic group ${g.id} is already defined`)
    groupIds.add(g.id)
    if (!isAccount(g.creator)) problems.push(`${where}.creator: no user with id ${g.creator}`)
    checkRefs(g.members, `${where}.members`)
  })
  const superIds = new Set<number>()
  seed.supergroups?.forEach((g, i) => {
    const where = `$.supergroups[${i}]`
    if (superIds.has(g.id)) problems.push(`${where}.id: supergroup ${g.id} is already defined`)
    superIds.add(g.id)
    claimUsername(g.username, where)
    if (!isAccount(g.creator)) problems.push(`${where}.creator: no user with id ${g.creator}`)
    checkRefs(g.admins, `${where}.admins`)
    checkRefs(g.members, `${where}.members`)
  })
  const isBot = new Set(seed.bots?.map(b => b.id))
  seed.basic_groups?.forEach((g, i) => {
    if (isBot.has(g.creator)) problems.push(`$.basic_groups[${i}].creator: a bot can't create groups`)
  })
  seed.supergroups?.forEach((g, i) => {
    if (isBot.has(g.creator)) problems.push(`$.supergroups[${i}].creator: a bot can't create groups`)
  })
  if (problems.length > 0) throw new SandboxSeedError(source, problems)
  return seed
}

/** Reads and validates a seed file. */
export function loadSeedFile (path: string): SandboxWorldSeed {
  const absolute = resolve(path)
  let text: string
  try {
    text = readFileSync(absolute, 'utf8')
  } catch (err) {
    throw new SandboxSeedError(absolute, [`can't read the file: ${(err as Error).message}`])
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new SandboxSeedError(absolute, [`not valid JSON: ${(err as Error).message}`])
  }
  return validateSeed(parsed, absolute)
}

/** Path of the demo world shipped in the package (`sandbox/world.json`). */
export function defaultWorldPath (): string {
  // Works from src/ (tests) and from dist/src/ (built): walk up to the package.
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'sandbox', 'world.json')
    dir = dirname(dir)
  }
  return join(process.cwd(), 'sandbox', 'world.json')
}

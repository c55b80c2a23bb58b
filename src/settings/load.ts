/**
 * Reads settings.json, checks it against the schema, fills in defaults and
 * hands back the effective Settings: validated once, then frozen, so no part
 * of the broker can change what the rest of it was started with.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Settings } from './types.js'
import { SettingsError } from './errors.js'
import { parseJson } from './json-location.js'
import { validateSettings } from './validate.js'
import { settingsSchema } from './schema.js'
import { EMBEDDED_SANDBOX_SETTINGS_JSON, EMBEDDED_SETTINGS_JSON, SANDBOX_TDLIB_PATH } from './embedded.js'
import { clientsProblems } from '../clients/check.js'
import { botApiProblems } from '../gateway/check.js'
import { requestPeersProblems } from '../resolve/peer-paths.js'
import { resolveSecret } from './secret.js'

export { SettingsError } from './errors.js'

/**
 * Loads the settings file at `file`. Relative paths inside it are taken from
 * the file's own folder, not the working directory, so the broker finds the
 * same files however it is started. Throws a SettingsError listing every
 * problem. `sandbox` forces tdlib.backend "sandbox" (start --sandbox).
 */
export function loadSettings (file: string, sandbox = false): Settings {
  const abs = resolve(file)
  let text: string
  try {
    text = readFileSync(abs, 'utf8')
  } catch (err) {
    throw readError(abs, err as NodeJS.ErrnoException)
  }
  // Editors on Windows like to start UTF-8 files with a byte order mark, which JSON.parse refuses.
  const parsed = parseJson(text.replace(/^\uFEFF/, ''))
  if ('problem' in parsed) {
    const { line, column, reason } = parsed.problem
    throw new SettingsError('SETTINGS_INVALID_JSON', abs, [`invalid JSON at line ${line}, column ${column}: ${reason}`])
  }
  return settingsFromObject(parsed.value, dirname(abs), abs, sandbox)
}

/**
 * The same as loadSettings, from an already parsed object: validates a copy
 * (the argument is left untouched), fills in defaults, turns every
 * request_peers and format_fields value into a list, resolves relative paths
 * against `baseDir`, and freezes the result. `file` is only recorded.
 * `sandbox` forces tdlib.backend "sandbox". With the sandbox backend and no
 * tdlib.path, sessions go to "sandbox-sessions", apart from real ones.
 */
export function settingsFromObject (obj: unknown, baseDir: string, file?: string, sandbox = false): Settings {
  const abs = file === undefined ? undefined : resolve(file)
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new SettingsError('SETTINGS_INVALID', abs, [`/: the settings must be a JSON object (got ${kindOf(obj)})`])
  }
  let data: Record<string, any>
  try {
    data = structuredClone(obj) as Record<string, any>
  } catch {
    throw new SettingsError('SETTINGS_INVALID', abs, ['/: the settings must be plain JSON data (it holds a function or similar)'])
  }

  if (sandbox && (data.tdlib === undefined || (typeof data.tdlib === 'object' && data.tdlib !== null && !Array.isArray(data.tdlib)))) {
    data.tdlib = { ...data.tdlib, backend: 'sandbox' }
  }
  const pathGiven = data.tdlib?.path !== undefined
  const problems = validateSettings(data)
  if (problems.length === 0) problems.push(...clientsProblems(data.clients), ...requestPeersProblems(data.request_peers), ...botApiProblems(data))
  if (problems.length > 0) throw new SettingsError('SETTINGS_INVALID', abs, problems)

  const base = resolve(baseDir)
  const keyProblems: string[] = []
  for (const key of ['database_encryption_key', 'previous_database_encryption_key']) {
    if (data.tdlib[key] === undefined) continue
    const secret = resolveSecret(data.tdlib[key], base, `/tdlib/${key}`)
    if ('problem' in secret) keyProblems.push(secret.problem)
    else data.tdlib[key] = secret.value
  }
  if (keyProblems.length > 0) throw new SettingsError('SETTINGS_INVALID', abs, keyProblems)
  for (const key of ['request_peers', 'format_fields']) {
    for (const [type, fields] of Object.entries(data[key])) data[key][type] = [fields].flat()
  }
  const at = (p: string | undefined) => p === undefined ? undefined : resolve(base, p)
  const setPath = (section: Record<string, any> | undefined, key: string) => {
    if (section?.[key] !== undefined) section[key] = at(section[key])
  }
  setPath(data, 'logfile')
  setPath(data, 'audit_file')
  if (!pathGiven && data.tdlib.backend === 'sandbox') data.tdlib.path = SANDBOX_TDLIB_PATH
  setPath(data.tdlib, 'path')
  setPath(data.tdlib, 'sandbox_world')
  data.local_files = data.local_files.map(at)
  for (const client of data.clients ?? []) {
    if (client.scope?.local_files !== undefined) client.scope.local_files = client.scope.local_files.map(at)
  }
  for (const key of ['key', 'cert', 'ca']) {
    setPath(data.mysql?.ssl, key)
    setPath(data.tls, key)
  }

  const settings = { ...(abs === undefined ? {} : { file: abs }), base_dir: base, ...inSchemaOrder(data, settingsSchema) }
  return deepFreeze(settings) as Settings
}

/**
 * What `tdbroker start` runs with when there is no settings file: schema
 * defaults, port 23456, sessions in `storage/sessions` under `cwd`
 * (`storage/sandbox-sessions` for the sandbox), and the demo whitelists of
 * embedded.ts.
 */
export function embeddedDefaults (cwd: string, sandbox = false): Settings {
  return settingsFromObject(sandbox ? EMBEDDED_SANDBOX_SETTINGS_JSON : EMBEDDED_SETTINGS_JSON, cwd)
}

function readError (file: string, err: NodeJS.ErrnoException): SettingsError {
  if (err.code === 'ENOENT') return new SettingsError('SETTINGS_NOT_FOUND', file, ['file not found'])
  if (err.code === 'EISDIR') return new SettingsError('SETTINGS_UNREADABLE', file, ['this is a folder, not a settings file'])
  return new SettingsError('SETTINGS_UNREADABLE', file, [`the file cannot be read (${err.code ?? err.message})`])
}

function kindOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value === undefined) return 'nothing'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** A copy with keys in the schema's order, so printed settings read like the docs, not like ajv's fill-in order. */
function inSchemaOrder (value: any, schema: Record<string, any>): any {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const branches = (schema.oneOf ?? []) as Array<Record<string, any>>
  const known: Record<string, any> = Object.assign({}, schema.properties, ...branches.map(b => b.properties))
  const keys = new Set([...Object.keys(known).filter(k => k in value), ...Object.keys(value)])
  return Object.fromEntries([...keys].map(k => [k, inSchemaOrder(value[k], known[k] ?? {})]))
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

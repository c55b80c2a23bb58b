/**
 * Secrets that settings may name instead of holding: a value given inline, in
 * an environment variable (`{ "env": "NAME" }`) or in a file
 * (`{ "file": "path" }`, relative to the settings file), so that a key need
 * not sit in settings.json. Resolved once at load; the effective settings
 * hold the value (masked in check-config, never logged).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

/** The schema of such a setting (see schema.ts). */
export const secretSourceSchema = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', minLength: 1 } } },
    { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
  ],
  'x-rule': 'must be the secret as a string, { "env": "VARIABLE" } or { "file": "path" }',
}

/** Shortest accepted key, in characters: a key meant to protect accounts at rest is not a word. */
export const MIN_KEY_LENGTH = 16

/**
 * The value of a secret setting (already valid against secretSourceSchema),
 * or a problem sentence starting with `path`. A file's trailing line break
 * is dropped (editors and `echo` add one).
 */
export function resolveSecret (value: unknown, baseDir: string, path: string, env: NodeJS.ProcessEnv = process.env): { value: string } | { problem: string } {
  let secret: string
  if (typeof value === 'string') {
    secret = value
  } else if (typeof (value as { env?: unknown }).env === 'string') {
    const name = (value as { env: string }).env
    const found = env[name]
    if (found === undefined || found === '') return { problem: `${path}: the environment variable ${name} is not set (or empty)` }
    secret = found
  } else {
    const file = resolve(baseDir, (value as { file: string }).file)
    try {
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch (e) {
      return { problem: `${path}: the key file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }
    }
  }
  if (secret.length < MIN_KEY_LENGTH) return { problem: `${path}: the key must be at least ${MIN_KEY_LENGTH} characters (use 32 random bytes, e.g. openssl rand -base64 32)` }
  return { value: secret }
}

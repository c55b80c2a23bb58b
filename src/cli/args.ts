/**
 * Command-line options, parsed by node:util's parseArgs in strict mode:
 * unknown options are errors, not ignored. Every subcommand takes --help
 * (and -h), which prints its usage and exits 0; a usage error prints what
 * was wrong and the usage, and exits 64 (sysexits' EX_USAGE).
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util'

export class UsageError extends Error {}

/** sysexits.h EX_USAGE */
export const EX_USAGE = 64

export type Line = (line: string) => void
export type OptionSpec = NonNullable<ParseArgsConfig['options']>
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>

export interface CommandLine {
  values: OptionValues
  positionals: string[]
}

export interface CommandSpec {
  /** The full usage text, starting with "usage: tdbroker …". */
  usage: string
  options: OptionSpec
  /** How many positional arguments the command takes, at least and at most. */
  positionals: readonly [number, number]
  /** What to say when positional arguments are missing (default "missing argument"). */
  missing?: string
}

/**
 * Parses `args` for `spec`. Returns undefined when --help was asked for.
 * Throws UsageError with node's message (without its hint about "--") for an
 * unknown option or a missing value, and for empty values and a wrong number
 * of arguments.
 */
export function parseCommandLine (spec: CommandSpec, args: string[]): CommandLine | undefined {
  let parsed
  try {
    parsed = nodeParseArgs({ args, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
  if (parsed.values.help === true) return undefined
  for (const [name, value] of Object.entries(parsed.values as Record<string, unknown>)) {
    if (value === '' || (Array.isArray(value) && value.includes(''))) throw new UsageError(`--${name} needs a value`)
  }
  const [min, max] = spec.positionals
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max] ?? ''}"`)
  if (parsed.positionals.length < min) throw new UsageError(spec.missing ?? 'missing argument')
  return { values: parsed.values as OptionValues, positionals: parsed.positionals }
}

/**
 * Runs one subcommand: --help prints its usage (exit 0); a UsageError prints
 * "tdbroker NAME: problem" and the usage (exit 64); any other error prints
 * "tdbroker NAME: message" (exit 1).
 */
export async function runCommand (name: string, spec: CommandSpec, args: string[], out: Line, err: Line,
  run: (line: CommandLine) => Promise<number>): Promise<number> {
  try {
    const line = parseCommandLine(spec, args)
    if (line === undefined) {
      out(spec.usage)
      return 0
    }
    return await run(line)
  } catch (e) {
    err(`tdbroker ${name}: ${e instanceof Error ? e.message : String(e)}`)
    if (e instanceof UsageError) {
      err('')
      err(spec.usage)
      return EX_USAGE
    }
    return 1
  }
}

/** A string option's value (undefined when absent). */
export function stringOption (values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

export function portOption (value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${value}"`)
  return Number(value)
}

/** --settings, --host and --port, which start, status, restore and backup share. */
export const SETTINGS_OPTION: OptionSpec = { settings: { type: 'string' } }
export const ADDRESS_OPTIONS: OptionSpec = { host: { type: 'string' }, port: { type: 'string' } }

/** A small, strict option parser: unknown options are errors, not ignored. */

export class UsageError extends Error {}

export interface ParsedArgs {
  options: Map<string, string | true>
  positional: string[]
}

/** `spec` maps an option name (without dashes) to whether it takes a value. */
export function parseArgs (args: string[], spec: Record<string, boolean>): ParsedArgs {
  const options = new Map<string, string | true>()
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('--')) { positional.push(arg); continue }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    const takesValue = spec[name]
    if (takesValue === undefined) throw new UsageError(`unknown option --${name}`)
    if (!takesValue) { options.set(name, true); continue }
    const value = eq !== -1 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`)
    options.set(name, value)
  }
  return { options, positional }
}

export function portOption (value: string | true | undefined): number | undefined {
  if (value === undefined || value === true) return undefined
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${value}"`)
  return port
}

/**
 * Commands: a name, a description (published with setCommands), the
 * parameters it takes, the privileges it needs. The toolkit checks the
 * privileges before the handler runs, and answers a refusal with a message
 * the library user can replace.
 */
import type { ChatContext } from './context.js'
import type { MaybePromise, Next } from './machine.js'
import type { TextInput } from './telegram.js'
import { DialogTimeoutError, ToolkitError } from './errors.js'
import { COMMAND_NAME, PRIVILEGE_NAME } from './parse.js'

export interface CommandDefinition {
  /** Without the prefix: lowercase letters, digits and underscores, 1 to 32 (Telegram's rule). */
  name: string
  /** Shown in Telegram's command menu (1 to 256 characters). */
  description: string
  /** Privileges the user must hold, all of them (lowercase letters and underscores). */
  privileges?: string[]
  /** Parameter names, for the usage line and the count check: `name?` is optional, a last `name...` takes the rest. */
  params?: string[]
  run: (ctx: ChatContext, args: string[]) => MaybePromise<Next>
  /** A dialog of this command was not answered in time; default: the toolkit's `dialogTimedOut` message. */
  onTimeout?: (ctx: ChatContext, error: DialogTimeoutError) => MaybePromise<Next>
}

/** What a refusal is about; the refusal hook returns the text to send, or undefined to send nothing. */
export interface Refusal { command: string, userId: number | undefined, missing: string[] }
export type RefusalHook = (ctx: ChatContext, refusal: Refusal) => MaybePromise<TextInput | undefined>

export const defaultRefusal: RefusalHook = (_ctx, r) =>
  `You may not use /${r.command}: it needs ${r.missing.join(', ')}.`

/** Checks a definition once, when it is added: a bad name must not fail later, in Telegram's setCommands. */
export function checkDefinition (c: CommandDefinition): void {
  const where = `command "${c.name}"`
  if (!COMMAND_NAME.test(c.name)) throw new ToolkitError('INVALID_DEFINITION', `${where}: a name is 1 to 32 lowercase letters, digits or underscores`)
  if (c.description.length < 1 || c.description.length > 256) throw new ToolkitError('INVALID_DEFINITION', `${where}: a description is 1 to 256 characters`)
  for (const p of c.privileges ?? []) {
    if (!PRIVILEGE_NAME.test(p)) throw new ToolkitError('INVALID_DEFINITION', `${where}: privilege "${p}" is not lowercase letters and underscores`)
  }
  const params = c.params ?? []
  params.forEach((p, i) => {
    if (p.endsWith('...') && i !== params.length - 1) throw new ToolkitError('INVALID_DEFINITION', `${where}: only the last parameter can take the rest ("${p}")`)
  })
}

/** `/grant <user> <privilege>`. */
export function usage (prefix: string, c: CommandDefinition): string {
  return [`${prefix}${c.name}`, ...(c.params ?? []).map(p => p.endsWith('?') ? `[${p.slice(0, -1)}]` : `<${p}>`)].join(' ')
}

/** Undefined when the arguments fit the parameters, else what is wrong. */
export function checkArgs (c: CommandDefinition, args: string[]): string | undefined {
  const params = c.params
  if (params === undefined) return undefined
  const required = params.filter(p => !p.endsWith('?') && !p.endsWith('...')).length
  const rest = params.at(-1)?.endsWith('...') === true
  if (args.length < required) return 'missing parameters'
  if (!rest && args.length > params.length) return 'too many parameters (quote a parameter that has spaces)'
  return undefined
}

/** The privileges of `c` the context's user lacks. */
export function missingPrivileges (ctx: ChatContext, c: CommandDefinition): string[] {
  return (c.privileges ?? []).filter(p => !ctx.holds(p))
}

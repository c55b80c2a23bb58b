/**
 * Reading a command out of a message text: `/name@bot arg "quoted arg" 'another one'`.
 * Pure functions, no I/O.
 */

/** Telegram's rule for a bot command's name (setCommands refuses anything else). */
export const COMMAND_NAME = /^[a-z0-9_]{1,32}$/
/** The seed's rule for privilege names: lowercase letters and underscores. */
export const PRIVILEGE_NAME = /^[a-z_]{1,64}$/
/** Privilege groups: a lowercase letter, then lowercase letters, digits or underscores. */
export const GROUP_NAME = /^[a-z][a-z0-9_]{0,31}$/

export interface ParsedCommand {
  name: string
  /** The `@botname` suffix, without the `@`, when given. */
  target: string | undefined
  args: string[]
}

export type ParseResult = { ok: true, command: ParsedCommand } | { ok: false, error: string } | undefined

/**
 * undefined when the text is not a command (no prefix, or not a command name
 * after it); an error for a command whose arguments cannot be read (an
 * unclosed quote).
 */
export function parseCommand (text: string, prefix = '/'): ParseResult {
  if (!text.startsWith(prefix)) return undefined
  const head = /^([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)/.exec(text.slice(prefix.length))
  if (head === null) return undefined
  const args = splitArgs(text.slice(prefix.length + head[0].length))
  if (typeof args === 'string') return { ok: false, error: args }
  return { ok: true, command: { name: (head[1] as string).toLowerCase(), target: head[2], args } }
}

/**
 * Space-separated arguments; "double" or 'single' quotes keep spaces, a
 * backslash escapes the next character inside quotes. Returns an error text
 * for an unclosed quote.
 */
export function splitArgs (text: string): string[] | string {
  const args: string[] = []
  let current = ''
  let inArg = false
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote !== undefined) {
      if (c === '\\' && i + 1 < text.length) { current += text[++i]; continue }
      if (c === quote) { quote = undefined; continue }
      current += c
    } else if (c === '"' || c === '\'') {
      quote = c
      inArg = true
    } else if (/\s/.test(c)) {
      if (inArg) { args.push(current); current = ''; inArg = false }
    } else {
      current += c
      inArg = true
    }
  }
  if (quote !== undefined) return `unclosed ${quote} quote`
  if (inArg) args.push(current)
  return args
}

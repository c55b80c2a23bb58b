/**
 * TDLib's own log lines, made safe before they reach the broker's log. At
 * verbosity 3 TDLib prints every request it receives and every update it
 * sends as a text dump (`checkAuthenticationCode {\n  code = "12345"\n}`,
 * `api_hash = "…"`, on one line with `oneline`), and at 4 the MTProto queries
 * (`auth.signIn { … phone_code = "12345" }`). Three layers:
 *  1. the secrets the broker handed to TDLib (secret-values.ts), wherever
 *     they appear;
 *  2. the value of every field whose name is a credential (redact.ts's list);
 *  3. login links and codes in texts (login-codes.ts); in a dump that names
 *     the service account 777000, every long run of digits (ids and dates
 *     too: such lines matter less than the code they may hold).
 * A line where a credential field's value cannot be told apart (its string
 * does not end where TDLib ends a field) is dropped whole: cleanTdlibText
 * answers undefined.
 */
import { maskCodes, maskServiceText, SERVICE_ACCOUNT_ID } from './login-codes.js'
import { SECRET_KEYS } from './redact.js'
import type { SecretValues } from './secret-values.js'

/** TDLib lines longer than this are cut (after redaction), saying how long they were. */
export const MAX_TDLIB_LINE = 16 * 1024

const NAMES = [...SECRET_KEYS, 'code', 'bytes'].join('|')
/**
 * `name = value` where TDLib stores a field: after a line start, a space or a
 * brace. A string ends at a quote followed by whitespace or the end (TDLib
 * does not escape quotes); bytes print on one line; a nested object
 * (`name = type {`) is left for its own fields.
 */
const FIELD = new RegExp(`(^|[\\s{])(${NAMES}) = ("[^"]*"(?=\\s|$)|bytes \\[\\d+\\] \\{[^}]*\\}|(?![^\\s{}]+ \\{)[^\\s"{}]+)`, 'g')
/** What is left when a credential's string could not be delimited. */
const UNSAFE = new RegExp(`(^|[\\s{])(${NAMES}) = "`)
const MASK = '[redacted]'
const SERVICE_MARK = new RegExp(`\\b${SERVICE_ACCOUNT_ID}\\b`)
/** TDLib's line header (`[ 3][t 4][time][file:line][#1][!Td]` and a tab) has no secret and says where the line is from. */
const HEADER = /^\[[^\t\n]{0,200}\t/

/** TDLib's log line `text` without secrets, or undefined when it cannot be made safe. */
export function cleanTdlibText (text: string, known: SecretValues): string | undefined {
  let out = known.mask(text)
  out = out.replace(FIELD, (whole, before: string, name: string, value: string) => {
    // Error codes (`code = 400`) and the integer fields named bytes are worth keeping.
    if ((name === 'code' || name === 'bytes') && /^-?\d+$/.test(value)) return whole
    if (name === 'bytes' && !value.startsWith('bytes [')) return whole
    return `${before}${name} = ${MASK}`
  })
  if (UNSAFE.test(out)) return undefined
  out = maskCodes(out)
  if (SERVICE_MARK.test(out)) {
    // Strings cannot be delimited for sure (TDLib does not escape quotes), so the whole dump is read as a service text.
    const header = HEADER.exec(out)?.[0] ?? ''
    out = header + maskServiceText(out.slice(header.length))
  }
  if (out.length > MAX_TDLIB_LINE) out = `${out.slice(0, MAX_TDLIB_LINE)}… [cut: ${out.length} characters]`
  return out
}

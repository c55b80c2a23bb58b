/**
 * Login codes and login links inside free text. Telegram delivers a login
 * code as a message from its service account 777000 ("Login code: 48213. Do
 * not give this code to anyone…"), and a QR login offers `tg://login?token=…`:
 * either, read from a log, lets its reader take over the account. These
 * helpers blank them in message texts and in TDLib's own log lines.
 */

/** Telegram's service account: its messages carry login codes. */
export const SERVICE_ACCOUNT_ID = 777000

const MASK = '[redacted]'

/** The token of a QR login link (tg://login?token=…), whatever follows it. */
const LOGIN_LINK = /(tg:\/\/login\?token=)[^\s"&]*/gi

/**
 * "code" (as in "Login code: 48213", "your code is 48213", "code 4821-3"), up
 * to a few separators, then a token holding a digit. Error dumps such as
 * `code = 400` do not match: '=' is not a separator here. Tokens are bounded
 * (64 characters), so the scan stays linear whatever a client writes.
 */
const CODE_PHRASE = /(code(?:\s+is)?[\s:.\-–—]{0,3})(?=[\w-]{0,63}\d)[\w-]{4,64}/gi

/** In a service message every token after "code" goes, digits or not (my.telegram.org's web codes have letters). */
const SERVICE_CODE_PHRASE = /(code(?:\s+is)?[\s:.\-–—]{0,3})[\w-]{4,64}/gi

/** Runs of four digits or more (a login code, possibly split by a dash or space). */
const DIGIT_RUN = /\d(?:[\s-]?\d){3,}/g

/** Blanks login links and "code: 12345" phrases in any text. */
export function maskCodes (text: string): string {
  if (!/code|tg:\/\/login/i.test(text)) return text
  return text.replace(LOGIN_LINK, `$1${MASK}`).replace(CODE_PHRASE, `$1${MASK}`)
}

/**
 * Blanks a text from the service account: besides what maskCodes does, every
 * run of four or more digits (the code may come without the word "code", in
 * any language).
 */
export function maskServiceText (text: string): string {
  return text.replace(LOGIN_LINK, `$1${MASK}`).replace(DIGIT_RUN, MASK).replace(SERVICE_CODE_PHRASE, `$1${MASK}`)
}

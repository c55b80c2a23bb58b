/**
 * The entities TDLib finds by itself in plain text (getTextEntities, and
 * every message sent): e-mail addresses, URLs, mentions, hashtags, bot
 * commands. The sandbox runs inside the broker, so this must stay linear in
 * the text whatever a client sends: each detector is a forward scan that
 * never goes back more than a constant, where the regular expressions it
 * replaces backtracked over whole runs (4000 letters without a space cost
 * 16 million steps in the e-mail pattern).
 *
 * Each scan finds exactly what the regular expression in its comment finds
 * with matchAll (test/tdlib/sandbox/autolink.test.ts compares them on
 * random texts). Detectors run in that order; a later match overlapping an
 * earlier one is dropped.
 *
 * `meter`, when given, counts the characters looked at, so a test can check
 * the work is linear without timing anything.
 */
import type { Td, Tl } from './td.js'

type Entity = Td<Tl.textEntity>
type EntityKind = 'textEntityTypeEmailAddress' | 'textEntityTypeUrl' | 'textEntityTypeMention' | 'textEntityTypeHashtag' | 'textEntityTypeBotCommand'

/** Counts characters looked at (see the file comment). */
export interface Meter { steps: number }

/** A match: [start, end) in UTF-16 code units. */
type Span = [number, number]

const TLDS = new Set(['com', 'org', 'net', 'io', 'me', 'dev', 'app', 'ru', 'de', 'uk', 'info'])

function isAsciiLetter (c: number): boolean { return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
function isDigit (c: number): boolean { return c >= 48 && c <= 57 }
/** \w without the u flag. */
function isWord (c: number): boolean { return isAsciiLetter(c) || isDigit(c) || c === 95 }
/** [A-Za-z0-9-] */
function isLabel (c: number): boolean { return isAsciiLetter(c) || isDigit(c) || c === 45 }
/** [A-Za-z0-9._%+-] */
function isLocal (c: number): boolean { return isLabel(c) || c === 46 || c === 95 || c === 37 || c === 43 }
/** \s */
function isSpace (c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
}
/** [^\s<>"] */
function isUrlChar (c: number): boolean { return !Number.isNaN(c) && !isSpace(c) && c !== 60 && c !== 62 && c !== 34 }

class Scanner {
  constructor (readonly text: string, private readonly meter: Meter | undefined) {}
  get length (): number { return this.text.length }
  /** The code unit at i, or NaN past either end (every class test is then false). */
  at (i: number): number {
    if (this.meter !== undefined) this.meter.steps++
    return this.text.charCodeAt(i)
  }

  /** The first index >= i where `inClass` fails. */
  runEnd (i: number, inClass: (c: number) => boolean): number {
    while (i < this.text.length && inClass(this.at(i))) i++
    return i
  }
}

/** /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g */
function emails (s: Scanner): Span[] {
  const out: Span[] = []
  let pos = 0
  while (pos < s.length) {
    if (!isLocal(s.at(pos))) { pos++; continue }
    // Every start inside this run reaches the same '@' and domain, so only the run's first can match.
    const at = s.runEnd(pos, isLocal)
    if (s.at(at) !== 64) { pos = at + 1; continue }
    let p = s.runEnd(at + 1, isLabel)
    let end: number | undefined
    if (p > at + 1) {
      // Labels after dots; the address ends after the letters that begin the last label that has two or more.
      while (s.at(p) === 46 && isLabel(s.at(p + 1))) {
        const letters = s.runEnd(p + 1, isAsciiLetter) - (p + 1)
        if (letters >= 2) end = p + 1 + letters
        p = s.runEnd(p + 1, isLabel)
      }
    }
    if (end === undefined) { pos = at + 1; continue }
    out.push([pos, end])
    pos = end
  }
  return out
}

/**
 * /\bhttps?:\/\/[^\s<>"]+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|me|dev|app|ru|de|uk|info)\b(?:\/[^\s<>"]*)?/gi
 * The second form's dotted chain is looked at once: a start in any label
 * before the chain's last dot that is followed by a known top-level domain
 * ends the match at that domain (greedy repetition takes the last one).
 */
function urls (s: Scanner): Span[] {
  const out: Span[] = []
  const text = s.text
  let chainEnd = -1
  let tldDot = -1
  let tldEnd = -1
  let pos = 0
  while (pos < s.length) {
    const c = s.at(pos)
    const boundary = isWord(s.at(pos - 1)) !== isWord(c)
    if (!boundary) { pos++; continue }
    // https?:// and at least one URL character
    if ((c === 104 || c === 72) && text.slice(pos, pos + 4).toLowerCase() === 'http') {
      let j = -1
      if ((s.at(pos + 4) === 115 || s.at(pos + 4) === 83) && text.startsWith('://', pos + 5)) j = pos + 8
      else if (text.startsWith('://', pos + 4)) j = pos + 7
      if (j >= 0 && isUrlChar(s.at(j))) {
        const end = s.runEnd(j, isUrlChar)
        out.push([pos, end])
        pos = end
        continue
      }
    }
    if (isLabel(c)) {
      if (pos >= chainEnd) [chainEnd, tldDot, tldEnd] = analyseChain(s, pos)
      if (pos < tldDot) {
        let end = tldEnd
        if (s.at(end) === 47) end = s.runEnd(end + 1, isUrlChar)
        out.push([pos, end])
        pos = end
        continue
      }
    }
    pos++
  }
  return out
}

/** From a label start: where the dotted chain ends, and the dot before its last known top-level domain and that domain's end (-1 if none). */
function analyseChain (s: Scanner, from: number): [number, number, number] {
  let tldDot = -1
  let tldEnd = -1
  let p = s.runEnd(from, isLabel)
  while (s.at(p) === 46) {
    const q = p + 1
    const wordEnd = s.runEnd(q, isWord)
    if (wordEnd > q && TLDS.has(s.text.slice(q, wordEnd).toLowerCase())) {
      tldDot = p
      tldEnd = wordEnd
    }
    if (!isLabel(s.at(q))) return [q, tldDot, tldEnd]
    p = s.runEnd(q, isLabel)
  }
  return [p, tldDot, tldEnd]
}

/** /(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}(?!\w)/g */
function mentions (s: Scanner): Span[] {
  const out: Span[] = []
  for (let i = s.text.indexOf('@'); i >= 0; i = s.text.indexOf('@', i + 1)) {
    const before = s.at(i - 1)
    if (isWord(before) || before === 64 || !isAsciiLetter(s.at(i + 1))) continue
    const rest = boundedRun(s, i + 2, 32)
    if (rest >= 4 && rest <= 31) out.push([i, i + 2 + rest])
  }
  return out
}

/** /(?<![\w\/])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{4,31})?(?![\w\/])/g */
function botCommands (s: Scanner): Span[] {
  const out: Span[] = []
  for (let i = s.text.indexOf('/'); i >= 0; i = s.text.indexOf('/', i + 1)) {
    const before = s.at(i - 1)
    if (isWord(before) || before === 47) continue
    const name = boundedRun(s, i + 1, 65)
    if (name < 1 || name > 64) continue
    const e = i + 1 + name
    const next = s.at(e)
    if (next === 64 && isAsciiLetter(s.at(e + 1))) {
      const bot = boundedRun(s, e + 2, 32)
      if (bot >= 4 && bot <= 31 && s.at(e + 2 + bot) !== 47) { out.push([i, e + 2 + bot]); continue }
    }
    // Without the @bot part, the command must not run into a slash ('@' and the rest are fine).
    if (next !== 47) out.push([i, e])
  }
  return out
}

/** How many \w characters follow from i, counting at most `max`. */
function boundedRun (s: Scanner, i: number, max: number): number {
  let n = 0
  while (n < max && isWord(s.at(i + n))) n++
  return n
}

const HASHTAG_CHAR = /[\p{L}\p{N}_]/u
const HASHTAG_LETTER = /[\p{L}_]/u

/** `(?<![\w#])#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*` (flags gu): a run of letters, digits and _ with at least one letter or _. */
function hashtags (s: Scanner): Span[] {
  const out: Span[] = []
  const text = s.text
  for (let i = text.indexOf('#'); i >= 0; i = text.indexOf('#', i + 1)) {
    const before = s.at(i - 1)
    if (isWord(before) || before === 35) continue
    let j = i + 1
    let hasLetter = false
    while (j < text.length) {
      s.at(j)
      const cp = text.codePointAt(j) as number
      const ch = String.fromCodePoint(cp)
      if (!HASHTAG_CHAR.test(ch)) break
      if (!hasLetter && HASHTAG_LETTER.test(ch)) hasLetter = true
      j += ch.length
    }
    if (hasLetter) {
      out.push([i, j])
      i = j - 1
    }
  }
  return out
}

/** URLs lose trailing punctuation: [.,;:!?)]+ at the end. */
function trimUrl (s: Scanner, [start, end]: Span): Span {
  while (end > start && '.,;:!?)'.includes(s.text[end - 1] as string)) { s.at(end - 1); end-- }
  return [start, end]
}

const DETECTORS: Array<[(s: Scanner) => Span[], EntityKind]> = [
  [emails, 'textEntityTypeEmailAddress'],
  [urls, 'textEntityTypeUrl'],
  [mentions, 'textEntityTypeMention'],
  [hashtags, 'textEntityTypeHashtag'],
  [botCommands, 'textEntityTypeBotCommand'],
]

/** Entities TDLib finds in plain text (getTextEntities), sorted by offset. */
export function findTextEntities (text: string, meter?: Meter): Entity[] {
  const s = new Scanner(text, meter)
  // Which entity starts at each offset; a detector's own matches never overlap, so each
  // character is checked once per detector.
  const covered = new Uint8Array(text.length)
  const startsAt = new Map<number, Entity>()
  for (const [detect, kind] of DETECTORS) {
    for (let [start, end] of detect(s)) {
      if (kind === 'textEntityTypeUrl') [start, end] = trimUrl(s, [start, end])
      if (end <= start) continue
      let free = true
      for (let i = start; i < end && free; i++) { if (meter !== undefined) meter.steps++; free = covered[i] === 0 }
      if (!free) continue
      covered.fill(1, start, end)
      startsAt.set(start, { '@type': 'textEntity', offset: start, length: end - start, type: { '@type': kind } })
    }
  }
  const found: Entity[] = []
  for (let i = 0; i < text.length; i++) {
    const e = startsAt.get(i)
    if (e !== undefined) found.push(e)
  }
  return found
}

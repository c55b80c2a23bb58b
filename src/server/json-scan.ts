/**
 * One linear pass over a frame's JSON text, before JSON.parse sees it: how
 * deeply objects and arrays nest (outside strings), and where the raw text
 * of the top-level "@extra" value lies. Nothing here recurses, so a frame of
 * any shape costs time linear in its length and no stack; a frame nested too
 * deeply is refused before JSON.parse, the logger or JSON.stringify walk it
 * (each of them recurses and would overflow the stack at a few thousand
 * levels).
 *
 * The scan does not validate: JSON.parse still decides whether the text is
 * JSON. On text that JSON.parse accepts, the span is exact, and it follows
 * JSON.parse's rules for keys: escapes are decoded ("\u0040extra" is
 * "@extra") and of duplicate keys the last one wins.
 */

/** Deepest nesting of objects and arrays a frame may have; the top-level object counts as one. */
export const MAX_FRAME_DEPTH = 64

/** What the scan found. Offsets are UTF-16 indexes into the text. */
export interface FrameScan {
  /** Deepest nesting of objects and arrays (`{}` is 1, `{"a":[]}` is 2). */
  readonly depth: number
  /** Start of the last top-level "@extra" value's text, or -1 when the top-level object has none. */
  readonly extraStart: number
  /** End (exclusive) of that text, without the whitespace around it. */
  readonly extraEnd: number
  /** Deepest nesting inside the frame reached within that value (the top-level object counts). */
  readonly extraDepth: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COMMA = 0x2c
const COLON = 0x3a

/** JSON's four whitespace characters: space, tab, line feed, carriage return. */
export function isJsonSpace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

/** Scans `text` once; see the file comment. */
export function scanFrame (text: string): FrameScan {
  const n = text.length
  let depth = 0
  let max = 0
  // Only the first top-level container is the frame; keys matter only when it is an object.
  let topObject = false
  let expectKey = false
  let keyIsExtra = false
  let valueStart = -1
  let valueMax = 0
  let extraStart = -1
  let extraEnd = -1
  let extraDepth = 0
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const close = stringEnd(text, i)
      if (expectKey && depth === 1) {
        keyIsExtra = isExtraKey(text, i, close)
        expectKey = false
      }
      i = close + 1
      continue
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (max === 0) topObject = c === OPEN_OBJECT
      depth++
      if (depth > max) max = depth
      if (valueStart !== -1 && depth > valueMax) valueMax = depth
      if (depth === 1 && topObject) expectKey = true
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 1 && valueStart !== -1) {
        extraStart = valueStart
        extraEnd = trimEnd(text, valueStart, i)
        extraDepth = valueMax
        valueStart = -1
      }
      if (depth > 0) depth--
      // What follows the frame's closing bracket is not the frame (and JSON.parse refuses it).
      if (depth === 0) topObject = false
    } else if (depth === 1 && topObject) {
      if (c === COMMA) {
        if (valueStart !== -1) {
          extraStart = valueStart
          extraEnd = trimEnd(text, valueStart, i)
          extraDepth = valueMax
          valueStart = -1
        }
        expectKey = true
        keyIsExtra = false
      } else if (c === COLON && keyIsExtra) {
        keyIsExtra = false
        let j = i + 1
        while (j < n && isJsonSpace(text.charCodeAt(j))) j++
        valueStart = j
        valueMax = 1
        i = j
        continue
      }
    }
    i++
  }
  return { depth: max, extraStart, extraEnd, extraDepth }
}

/**
 * Index of the quote closing the string that opens at `open`, or the text's
 * length when it is never closed. A quote is escaped when an odd number of
 * backslashes precedes it; each run of backslashes precedes one quote only,
 * so counting them keeps the whole scan linear.
 */
function stringEnd (text: string, open: number): number {
  let q = open
  for (;;) {
    q = text.indexOf('"', q + 1)
    if (q === -1) return text.length
    let b = q - 1
    while (text.charCodeAt(b) === BACKSLASH) b--
    if (((q - 1 - b) & 1) === 0) return q
  }
}

/** "@extra" spelled with every character escaped as \uXXXX is 36 characters long. */
const LONGEST_EXTRA_KEY = 36

/** Whether the key string between the quotes at `open` and `close` decodes to "@extra". */
function isExtraKey (text: string, open: number, close: number): boolean {
  const length = close - open - 1
  if (length === 6) return text.startsWith('@extra', open + 1)
  if (length < 6 || length > LONGEST_EXTRA_KEY || close >= text.length) return false
  // Without a backslash (looked for within the key only, so that many keys stay linear) it is not "@extra".
  let escaped = false
  for (let i = open + 1; i < close && !escaped; i++) escaped = text.charCodeAt(i) === BACKSLASH
  if (!escaped) return false
  try {
    return JSON.parse(text.slice(open, close + 1)) === '@extra'
  } catch {
    return false
  }
}

function trimEnd (text: string, start: number, end: number): number {
  while (end > start && isJsonSpace(text.charCodeAt(end - 1))) end--
  return end
}

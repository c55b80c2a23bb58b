/**
 * JSON.parse with errors an operator can act on: "line 7, column 3: expected
 * ',' or '}'". V8's own messages give a character offset at best, and for some
 * mistakes (a bare word, a stray bracket) no position at all, so on failure a
 * small scanner walks the text again to find where and why it went wrong.
 */

/** Where a JSON text stops being JSON. Lines and columns count from 1. */
export interface JsonSyntaxProblem {
  line: number
  column: number
  reason: string
}

/** Parses `text`, or returns where and why it is not JSON. */
export function parseJson (text: string): { value: unknown } | { problem: JsonSyntaxProblem } {
  try {
    return { value: JSON.parse(text) }
  } catch (err) {
    const found = scan(text)
    if (found) return { problem: { ...lineAndColumn(text, found.at), reason: found.reason } }
    // The scanner accepted what V8 refused: fall back to V8's own words.
    return { problem: { line: 1, column: 1, reason: (err as Error).message } }
  }
}

function lineAndColumn (text: string, offset: number): { line: number, column: number } {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 }
}

class Stop {
  constructor (readonly at: number, readonly reason: string) {}
}

/** The first syntax error in `text`, or undefined if it is valid JSON. */
function scan (text: string): Stop | undefined {
  let i = 0
  const fail = (reason: string): never => {
    if (i >= text.length) throw new Stop(i, `${reason}, but the file ends here`)
    // A bare word (an unquoted key or string) reads better whole than as its first letter.
    const found = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))?.[0] ?? text[i]!
    throw new Stop(i, `${reason}, found ${found.length > 1 ? found : JSON.stringify(found)}`)
  }
  const space = () => { while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++ }
  const expect = (c: string, what: string) => { if (text[i] !== c) fail(`expected ${what}`); i++ }
  const word = (w: string) => { if (!text.startsWith(w, i)) fail('expected a value (strings need double quotes)'); i += w.length }

  const string = () => {
    expect('"', 'a string in double quotes')
    while (text[i] !== '"') {
      if (i >= text.length) fail('expected the closing \'"\' of the string')
      const c = text.charCodeAt(i)
      if (c === 0x0a || c === 0x0d) fail('expected the string to end before the line does')
      if (c < 0x20) fail('expected no control characters in a string (write them as escapes such as \\t)')
      if (text[i] === '\\') {
        i++
        if (text[i] === 'u') {
          i++
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i, i + 4))) fail('expected four hex digits after \\u')
          i += 4
          continue
        }
        if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail('expected a valid escape after \\')
      }
      i++
    }
    i++
  }

  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i))
    if (!m) return fail('expected a value (strings need double quotes)')
    i += m[0].length
  }

  const value = (): void => {
    space()
    const c = text[i]
    if (c === '{') {
      i++; space()
      if (text[i] === '}') { i++; return }
      for (;;) {
        space(); string(); space()
        expect(':', '\':\' after the key')
        value(); space()
        if (text[i] === '}') { i++; return }
        expect(',', '\',\' or \'}\'')
        space()
        if (text[i] === '}') fail('expected another key after \',\' (JSON allows no trailing comma)')
      }
    }
    if (c === '[') {
      i++; space()
      if (text[i] === ']') { i++; return }
      for (;;) {
        value(); space()
        if (text[i] === ']') { i++; return }
        expect(',', '\',\' or \']\'')
        space()
        if (text[i] === ']') fail('expected another value after \',\' (JSON allows no trailing comma)')
      }
    }
    if (c === '"') return string()
    if (c === 't') return word('true')
    if (c === 'f') return word('false')
    if (c === 'n') return word('null')
    return number()
  }

  try {
    value(); space()
    if (i < text.length) fail('expected the end of the file after the top-level value')
    return undefined
  } catch (err) {
    if (err instanceof Stop) return err
    throw err
  }
}

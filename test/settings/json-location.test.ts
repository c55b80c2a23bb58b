import t from 'tap'
import { parseJson } from '../../src/settings/json-location.js'

const problemOf = (text: string) => {
  const r = parseJson(text)
  if (!('problem' in r)) throw new Error(`${JSON.stringify(text)} parsed`)
  return r.problem
}

t.test('valid JSON parses to the same value as JSON.parse', async t => {
  const text = '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"], "b": {}}'
  t.same(parseJson(text), { value: JSON.parse(text) })
})

t.test('each kind of mistake is placed at its line and column', async t => {
  const cases: Array<[string, number, number, string]> = [
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, `expected ',' or '}', found "\\""`],
    ['{\n  "a": [1, 2,]\n}', 2, 14, `expected another value after ',' (JSON allows no trailing comma), found "]"`],
    ['{\n  a: 1\n}', 2, 3, 'expected a string in double quotes, found "a"'],
    ['{\n  port: 1\n}', 2, 3, 'expected a string in double quotes, found port'],
    ['{"a" 1}', 1, 6, `expected ':' after the key, found "1"`],
    ["{'a': 1}", 1, 2, `expected a string in double quotes, found "'"`],
    ['{"a": tru}', 1, 7, 'expected a value (strings need double quotes), found tru'],
    ['{"a": 1', 1, 8, `expected ',' or '}', but the file ends here`],
    ['', 1, 1, 'expected a value (strings need double quotes), but the file ends here'],
    ['{"a": 1}}', 1, 9, 'expected the end of the file after the top-level value, found "}"'],
    ['{"a": "x\ny"}', 1, 9, 'expected the string to end before the line does, found "\\n"'],
    ['{"a": "x\ty"}', 1, 9, 'expected no control characters in a string (write them as escapes such as \\t), found "\\t"'],
    ['{"a": "\\q"}', 1, 9, 'expected a valid escape after \\, found "q"'],
    ['{"a": 01}', 1, 8, `expected ',' or '}', found "1"`],
  ]
  for (const [text, line, column, reason] of cases) {
    t.same(problemOf(text), { line, column, reason }, JSON.stringify(text))
  }
})

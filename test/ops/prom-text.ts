/**
 * A strict parser of Prometheus' text exposition format (version 0.0.4), for
 * tests: every line must be a well-formed HELP, TYPE or sample, every sample
 * must belong to a family declared by TYPE, and label values are unescaped.
 * Anything else throws, so a malformed scrape fails the test that reads it.
 */

export interface Sample { name: string, labels: Record<string, string>, value: number }
export interface Family { name: string, type: string, help: string, samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] }

/** As Prometheus reads values (Go's strconv.ParseFloat): NaN and Inf in any case, as prom-client writes "Nan". */
function parseValue (text: string, line: string): number {
  const lower = text.toLowerCase()
  if (lower === '+inf' || lower === 'inf') return Infinity
  if (lower === '-inf') return -Infinity
  if (lower === 'nan') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value in: ${line}`)
  return Number(text)
}

function parseLabels (text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const eq = text.indexOf('=', i)
    if (eq < 0) throw new Error(`bad labels in: ${line}`)
    const name = text.slice(i, eq)
    if (!LABEL.test(name)) throw new Error(`bad label name ${name} in: ${line}`)
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`)
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j]
        if (next === 'n') value += '\n'
        else if (next === '\\' || next === '"') value += next
        else throw new Error(`bad escape in: ${line}`)
      } else value += text[j]
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`)
    if (Object.hasOwn(labels, name)) throw new Error(`duplicate label ${name} in: ${line}`)
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (i < text.length) throw new Error(`bad label separator in: ${line}`)
  }
  return labels
}

/** Parses a whole scrape into its families, by name. */
export function parsePrometheusText (text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const familyOf = (sample: string): Family | undefined => {
    for (const f of families.values()) {
      if ((SUFFIXES[f.type] ?? ['']).some(suffix => f.name + suffix === sample)) return f
    }
    return undefined
  }
  if (!text.endsWith('\n')) throw new Error('the scrape does not end with a newline')
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    let m: RegExpExecArray | null
    if ((m = /^# HELP (\S+) (.*)$/.exec(line)) !== null) {
      const [, name, help] = m as unknown as [string, string, string]
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`)
      const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] }
      f.help = help
      families.set(name, f)
    } else if ((m = /^# TYPE (\S+) (\S+)$/.exec(line)) !== null) {
      const [, name, type] = m as unknown as [string, string, string]
      if (!NAME.test(name) || !TYPES.has(type)) throw new Error(`bad TYPE line: ${line}`)
      const f = families.get(name) ?? { name, type, help: '', samples: [] }
      if (f.samples.length > 0) throw new Error(`TYPE after samples: ${line}`)
      f.type = type
      families.set(name, f)
    } else if (line.startsWith('#')) {
      continue // other comments are allowed
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line)) !== null) {
      const name = m[1]!
      const labelText = m[2]
      const value = m[3]!
      const f = familyOf(name)
      if (f === undefined) throw new Error(`sample of an undeclared family: ${line}`)
      f.samples.push({ name, labels: labelText === undefined ? {} : parseLabels(labelText, line), value: parseValue(value, line) })
    } else {
      throw new Error(`not a Prometheus text line: ${JSON.stringify(line)}`)
    }
  }
  return families
}

/** The value of the sample `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value
    }
  }
  return undefined
}

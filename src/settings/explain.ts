/**
 * Turns ajv's error objects into one plain sentence per problem, each naming
 * the JSON path and what was expected ("/tdlib/proxy/port: must be an integer
 * from 1 to 65535 (got "80a")"). The operator reading them has never heard of
 * anyOf or discriminators, so none of that vocabulary may leak through.
 *
 * Needs ajv's `verbose` option: the sentences are built from the failing
 * schema (`parentSchema`) and value (`data`).
 */
import type { ErrorObject } from 'ajv'

type Schema = Record<string, any>

/** Problems, in ajv's order, with duplicates and pure noise removed. */
export function explainErrors (errors: readonly ErrorObject[]): string[] {
  // A failed anyOf explains itself better than each of its branches does.
  const anyOfFailures = errors.filter(e => e.keyword === 'anyOf')
  const insideFailedAnyOf = (e: ErrorObject) => anyOfFailures.some(a =>
    e !== a && e.schemaPath.startsWith(a.schemaPath + '/') &&
    (e.instancePath === a.instancePath || e.instancePath.startsWith(a.instancePath + '/')))

  const problems = new Set<string>()
  for (const e of errors) {
    if (insideFailedAnyOf(e)) continue
    const explained = explain(e)
    if (explained !== undefined) problems.add(`${explained[0] || '/'}: ${explained[1]}`)
  }
  return [...problems]
}

/** [JSON path, sentence], or undefined for an error that only repeats another. */
function explain (e: ErrorObject): [string, string] | undefined {
  const schema: Schema = e.parentSchema ?? {}
  const at = (sentence: string): [string, string] => [e.instancePath, sentence]
  switch (e.keyword) {
    case 'if':
      // Always paired with the error from its `then`, which says what is wrong.
      return undefined
    case 'additionalProperties':
      return at(unknownKey(String(e.params.additionalProperty), schema))
    case 'required':
      return at(missingKey(String(e.params.missingProperty), schema))
    case 'discriminator': {
      const tag = String(e.params.tag)
      const value = (e.data as Schema | undefined)?.[tag]
      // A missing tag is already reported by `required`.
      if (value === undefined) return undefined
      const choices = (schema.oneOf as Schema[]).map(b => JSON.stringify(b.properties[tag].const))
      return [`${e.instancePath}/${tag}`, `must be one of ${choices.join(', ')} (got ${show(value)})`]
    }
    case 'pattern': case 'type': case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
    case 'enum': case 'const': case 'minLength': case 'maxLength': case 'minItems': case 'maxItems':
    case 'anyOf':
      return at(`${schema['x-rule'] ?? `must be ${describe(schema)}`} (got ${show(e.data)})`)
    default:
      // Only reachable if someone adds a keyword this file does not know yet.
      return at(`${e.message ?? 'is not valid'} (got ${show(e.data)})`)
  }
}

function unknownKey (key: string, schema: Schema): string {
  const known = Object.keys(schema.properties ?? {})
  const guess = closest(key, known)
  const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`
  const tag = discriminant(schema)
  if (tag !== undefined) return `key "${key}" is not allowed when ${tag[0]} is ${JSON.stringify(tag[1])}${hint}`
  return `unknown key "${key}"${hint}`
}

function missingKey (key: string, schema: Schema): string {
  const tag = discriminant(schema)
  const why = schema['x-rule'] ?? (tag && `needed when ${tag[0]} is ${JSON.stringify(tag[1])}`)
  return `missing required key "${key}"${why ? ` (${why})` : ''}`
}

/** The `const` property that selects this branch of a discriminated oneOf, if any. */
function discriminant (schema: Schema): [string, unknown] | undefined {
  for (const [name, sub] of Object.entries<Schema>(schema.properties ?? {})) {
    if ('const' in sub) return [name, sub.const]
  }
  return undefined
}

/** What a value must be, as a noun phrase: "an integer from 1 to 65535". */
function describe (schema: Schema): string {
  if ('const' in schema) return JSON.stringify(schema.const)
  if (schema.enum) return `one of ${schema.enum.map((v: unknown) => JSON.stringify(v)).join(', ')}`
  if (schema.anyOf) return (schema.anyOf as Schema[]).map(describe).join(' or ')
  switch (schema.type) {
    case 'integer': return `an integer${range(schema)}`
    case 'number': return `a number${range(schema)}`
    case 'boolean': return 'true or false'
    case 'string':
      if (schema.pattern) return `a string matching the pattern ${schema.pattern}`
      return schema.minLength ? 'a non-empty string' : 'a string'
    case 'object': return 'an object'
    case 'array': {
      const items = schema.items?.type === 'string' ? (schema.items.minLength ? ' of non-empty strings' : ' of strings') : ''
      return `${schema.minItems ? 'a non-empty array' : 'an array'}${items}`
    }
    default: return 'a valid value'
  }
}

function range (schema: Schema): string {
  const { minimum: min, maximum: max } = schema
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`
  if (min !== undefined) return ` of at least ${min}`
  if (max !== undefined) return ` of at most ${max}`
  return ''
}

/** The value as the operator wrote it, cut short so one line stays one line. */
function show (value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/** The candidate a typo most likely meant: the nearest one at most two edits away (one for short words). */
export function closest (word: string, candidates: Iterable<string>): string | undefined {
  const limit = word.length <= 4 ? 1 : 2
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) > limit) continue
    const d = distance(word, candidate)
    if (d < bestDistance) { best = candidate; bestDistance = d }
  }
  return best
}

/** Edit distance where swapping two neighbouring letters counts as one edit. */
function distance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/**
 * A run-time check of Bot API objects against @grammyjs/types, the Bot API's
 * published TypeScript types: the TypeScript compiler reads the
 * declarations (fixtures/bot-api-types.ts names the entry types), and a
 * value is walked against them: every required field present, no field the
 * type lacks, primitives and literals of the right kind, unions matched by
 * some member. `shapeProblems(value, 'Update')` lists what is wrong.
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import type { BotApiTypes } from './fixtures/bot-api-types.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/bot-api-types.ts', import.meta.url))

let loaded: { checker: ts.TypeChecker, root: ts.Type } | undefined

/**
 * Reads the declarations (seconds of CPU). Call it before a test opens HTTP
 * connections: the event loop stalls meanwhile, and a keep-alive connection
 * the server closed as idle in that time would be reused and reset.
 */
export function loadShapes (): void { load() }

function load (): { checker: ts.TypeChecker, root: ts.Type } {
  if (loaded !== undefined) return loaded
  const program = ts.createProgram([FIXTURE], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(FIXTURE)
  const decl = source?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'BotApiTypes')
  if (decl === undefined) throw new Error(`no BotApiTypes in ${FIXTURE}`)
  loaded = { checker, root: checker.getTypeAtLocation(decl.name) }
  return loaded
}

/** What is wrong with `value` as the Bot API type `name` ([] when nothing). */
export function shapeProblems (value: unknown, name: keyof BotApiTypes): string[] {
  const { checker, root } = load()
  const prop = checker.getPropertyOfType(root, name)
  if (prop === undefined) throw new Error(`no type ${name}`)
  return check(checker, value, checker.getTypeOfSymbol(prop), '$', 0)
}

const MAX_DEPTH = 40
const LITERAL = 'expected the literal'

function check (checker: ts.TypeChecker, value: unknown, type: ts.Type, at: string, depth: number): string[] {
  if (depth > MAX_DEPTH) return [`${at}: nested too deep`]
  const f = type.flags
  if ((f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) return []
  if (type.isUnion()) {
    const members = type.types.filter(t => (t.flags & ts.TypeFlags.Undefined) === 0)
    // The member to blame is the one whose discriminants (literal fields such as status or type) match.
    const score = (problems: string[]): number => problems.length + 1000 * problems.filter(p => p.includes(LITERAL)).length
    let best: string[] | undefined
    for (const m of members) {
      const problems = check(checker, value, m, at, depth + 1)
      if (problems.length === 0) return []
      if (best === undefined || score(problems) < score(best)) best = problems
    }
    return best ?? [`${at}: no type allows ${JSON.stringify(value)}`]
  }
  if (type.isStringLiteral()) return value === type.value ? [] : [`${at}: ${LITERAL} ${JSON.stringify(type.value)}, got ${JSON.stringify(value)}`]
  if (type.isNumberLiteral()) return value === type.value ? [] : [`${at}: ${LITERAL} ${type.value}, got ${JSON.stringify(value)}`]
  if ((f & ts.TypeFlags.BooleanLiteral) !== 0) {
    const expected = checker.typeToString(type) === 'true'
    return value === expected ? [] : [`${at}: expected ${String(expected)}, got ${JSON.stringify(value)}`]
  }
  if ((f & ts.TypeFlags.String) !== 0) return typeof value === 'string' ? [] : [`${at}: expected a string, got ${JSON.stringify(value)}`]
  if ((f & ts.TypeFlags.Number) !== 0) return typeof value === 'number' ? [] : [`${at}: expected a number, got ${JSON.stringify(value)}`]
  if ((f & ts.TypeFlags.Boolean) !== 0) return typeof value === 'boolean' ? [] : [`${at}: expected a boolean, got ${JSON.stringify(value)}`]
  if (checker.isArrayType(type)) {
    if (!Array.isArray(value)) return [`${at}: expected an array, got ${JSON.stringify(value)}`]
    const item = checker.getTypeArguments(type as ts.TypeReference)[0]!
    return value.flatMap((v, i) => check(checker, v, item, `${at}[${i}]`, depth + 1))
  }
  if ((f & ts.TypeFlags.Object) !== 0 || type.isIntersection()) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object (${checker.typeToString(type)}), got ${JSON.stringify(value)}`]
    const props = checker.getPropertiesOfType(type)
    const names = new Set(props.map(p => p.name))
    const problems: string[] = []
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) if (!names.has(key)) problems.push(`${at}.${key}: ${checker.typeToString(type)} has no such field`)
    for (const p of props) {
      const propType = checker.getTypeOfSymbol(p)
      // A field typed `undefined` (grammY's ReplyMessage has `reply_to_message: undefined`) must be absent.
      const mayBeAbsent = (p.flags & ts.SymbolFlags.Optional) !== 0 || (propType.flags & ts.TypeFlags.Undefined) !== 0 ||
        (propType.isUnion() && propType.types.some(m => (m.flags & ts.TypeFlags.Undefined) !== 0))
      const v = record[p.name]
      if (v === undefined) {
        if (!mayBeAbsent) problems.push(`${at}.${p.name}: missing in ${checker.typeToString(type)}`)
        continue
      }
      if ((propType.flags & ts.TypeFlags.Undefined) !== 0) {
        problems.push(`${at}.${p.name}: must be absent in ${checker.typeToString(type)}`)
        continue
      }
      problems.push(...check(checker, v, propType, `${at}.${p.name}`, depth + 1))
    }
    return problems
  }
  return [`${at}: type ${checker.typeToString(type)} is not understood by the checker`]
}

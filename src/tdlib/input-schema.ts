/**
 * TDLib's input schema as the broker needs it (input-fields.ts, generated):
 * for a request or input object type, which fields hold numbers (where a
 * chat or user id can be) and which hold objects (where one can be nested),
 * and which concrete types a union stands for. Parsed once, on first use.
 */
import { TDLIB_OBJECT_FIELDS, TDLIB_UNIONS } from './input-fields.js'

/** A field's type: a number or a named object type / union, inside `arrays` levels of arrays. */
export interface FieldType {
  base: 'number' | string
  arrays: number
}

let objects: Map<string, ReadonlyMap<string, FieldType>> | undefined
let unions: Map<string, readonly string[]> | undefined

function load (): void {
  if (objects !== undefined) return
  objects = new Map()
  unions = new Map()
  for (const line of TDLIB_OBJECT_FIELDS.trim().split('\n')) {
    const [name, ...fields] = line.split(' ')
    const map = new Map<string, FieldType>()
    for (const field of fields) {
      const [key, kind] = field.split(':') as [string, string]
      const base = kind.replace(/(\[\])+$/, '')
      map.set(key, { base: base === 'n' ? 'number' : base, arrays: (kind.length - base.length) / 2 })
    }
    objects.set(name!, map)
  }
  for (const line of TDLIB_UNIONS.trim().split('\n')) {
    const [name, members] = line.split('=') as [string, string]
    unions.set(name, members.split('|'))
  }
}

const NONE: ReadonlyMap<string, FieldType> = new Map()

/** The number and object fields of a request or input type (empty for a type with none, or unknown). */
export function inputFields (type: string): ReadonlyMap<string, FieldType> {
  load()
  return objects!.get(type) ?? NONE
}

/** The concrete types a field type names: a union's members, or the type itself. */
export function concreteTypes (type: string): readonly string[] {
  load()
  return unions!.get(type) ?? [type]
}

/** Whether `type` names a union (whose values must carry their own @type). */
export function isUnion (type: string): boolean {
  load()
  return unions!.has(type)
}

/** Every request and input type that has number or object fields. */
export function inputTypes (): Iterable<string> {
  load()
  return objects!.keys()
}

/**
 * Where format_fields can apply, from TDLib's input schema: a type is on a
 * route when it is listed or one of its object fields can hold a type on a
 * route. The format step follows only these fields, so the rest of a request
 * (however large) is never read. Computed once per format_fields value.
 */
import { concreteTypes, inputFields, inputTypes, isUnion } from '../tdlib/input-schema.js'

/** For one type: its listed fields to format, and the object fields to follow (field -> declared type). */
export interface Route {
  format: readonly string[]
  descend: ReadonlyMap<string, string>
}

export interface FormatRoutes {
  /** The route through an object of this type; undefined when nothing listed can be inside it. */
  of(type: string): Route | undefined
  /** The type of an object without @type, from the field's declared type (a union needs @type). */
  implied(declared: string | undefined): string | undefined
}

const cache = new WeakMap<object, FormatRoutes>()

export function formatRoutes (fields: Readonly<Record<string, readonly string[]>>): FormatRoutes {
  let routes = cache.get(fields)
  if (routes === undefined) {
    routes = build(fields)
    cache.set(fields, routes)
  }
  return routes
}

function build (fields: Readonly<Record<string, readonly string[]>>): FormatRoutes {
  // The types that can hold a listed type, as a fixpoint: listed ones, then
  // every type with an object field naming one of them, until none is added.
  const reach = new Set(Object.keys(fields))
  const leadsOn = (base: string): boolean => base !== 'number' && concreteTypes(base).some(t => reach.has(t))
  for (let added = true; added;) {
    added = false
    for (const type of inputTypes()) {
      if (reach.has(type)) continue
      for (const field of inputFields(type).values()) {
        if (leadsOn(field.base)) { reach.add(type); added = true; break }
      }
    }
  }
  const routes = new Map<string, Route | undefined>()
  return {
    of (type) {
      if (routes.has(type)) return routes.get(type)
      let route: Route | undefined
      if (reach.has(type)) {
        const descend = new Map<string, string>()
        for (const [key, field] of inputFields(type)) {
          if (leadsOn(field.base)) descend.set(key, field.base)
        }
        route = { format: Object.hasOwn(fields, type) ? fields[type]! : [], descend }
      }
      routes.set(type, route)
      return route
    },
    implied: declared => declared === undefined || isUnion(declared) ? undefined : declared,
  }
}

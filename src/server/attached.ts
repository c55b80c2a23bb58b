/**
 * The sessions a connection is attached to, as nothing, the one session, or
 * a Set of several. Almost every connection attaches to one session, and an
 * idle connection kept a Set and its table for it (about 150 bytes each).
 * The functions return the new value; a Set is made only for a second one.
 */
export type Attached<T extends object> = T | Set<T> | undefined

export function attachedHas<T extends object> (a: Attached<T>, item: T): boolean {
  return a instanceof Set ? a.has(item) : a === item
}

export function attachedAdd<T extends object> (a: Attached<T>, item: T): Attached<T> {
  if (a === undefined || a === item) return item
  if (a instanceof Set) return a.add(item)
  return new Set([a, item])
}

export function attachedDelete<T extends object> (a: Attached<T>, item: T): Attached<T> {
  if (a === item) return undefined
  if (!(a instanceof Set) || !a.delete(item)) return a
  // Back to the one left, so that a connection that once had two does not keep the Set.
  return a.size === 1 ? a.values().next().value : a
}

/** A copy of the items, safe to iterate while the value changes. */
export function attachedList<T extends object> (a: Attached<T>): T[] {
  return a instanceof Set ? [...a] : a === undefined ? [] : [a]
}

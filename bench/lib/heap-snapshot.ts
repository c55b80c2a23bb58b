/**
 * Heap snapshots summarised for the memory tools (bench/tools/session-heap.ts,
 * client-heap.ts): self size by V8 node type and constructor, so that two
 * snapshots' difference says what kind of object grew.
 */
import { readFileSync, rmSync } from 'node:fs'

interface Snapshot { snapshot: { meta: { node_fields: string[], node_types: [string[]] } }, nodes: number[], strings: string[] }

/** Self size by "type name" (strings and numbers by type alone: their text is the content, not the kind). */
function summariseSnapshot (file: string): Map<string, number> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const width = fields.length
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')]
  const out = new Map<string, number>()
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!
    const key = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' ? type : `${type} ${snap.strings[snap.nodes[i + nameAt]!]}`
    out.set(key, (out.get(key) ?? 0) + snap.nodes[i + sizeAt]!)
  }
  return out
}

/** The growth per unit from snapshot `a` to `b` (`units` more of what is counted), largest first, and its total. */
function growthPer (a: Map<string, number>, b: Map<string, number>, units: number): { total: number, rows: Array<readonly [string, number]> } {
  const rows = [...b].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / units] as const).sort((x, y) => y[1] - x[1])
  return { total: rows.reduce((s, [, v]) => s + v, 0), rows }
}

/**
 * The growth per unit from the snapshot file `before` to `after`, both
 * removed once read. Summarised only once both are written: the first
 * summary would otherwise be in the second snapshot.
 */
export function snapshotGrowth (before: string, after: string, units: number): { total: number, rows: Array<readonly [string, number]> } {
  const [a, b] = [before, after].map(file => {
    const summary = summariseSnapshot(file)
    rmSync(file)
    return summary
  }) as [Map<string, number>, Map<string, number>]
  return growthPer(a, b, units)
}

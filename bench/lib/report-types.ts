/** What every benchmark part hands to the report: markdown, targets and chart panels. */
import type { Spread } from './stats.js'

export interface Target {
  /** The target as the issue states it. */
  readonly name: string
  /** What an earlier independent run measured, when the issue states it ("now" in #15's table). */
  readonly before?: string
  /** What was measured, in words and numbers. */
  readonly measured: string
  readonly pass: boolean
}

/** One panel of the chart: groups of bars (median, with a min-max whisker). */
export interface ChartPanel {
  readonly title: string
  readonly unit: string
  /** Logarithmic value axis (for figures spanning orders of magnitude). */
  readonly log?: boolean
  readonly groups: ReadonlyArray<{ readonly label: string, readonly bars: ReadonlyArray<{ readonly series: string, readonly value: Spread }> }>
}

export interface PartReport {
  readonly part: string
  /** Markdown: a heading, the method in a few sentences, tables. */
  readonly markdown: string
  readonly targets: readonly Target[]
  readonly charts: readonly ChartPanel[]
  /** Every measured series (median, min, max, each round's value), for the JSON results file. */
  readonly figures?: Readonly<Record<string, Spread>>
}

/** "41.2 (38.0–45.1)": a median with its min and max. */
export function fmt (s: Spread, digits = 1): string {
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`
}

export function num (v: number, digits = 1): string {
  if (!Number.isFinite(v)) return 'n/a'
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A markdown table. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * Prints where a CPU profile spent its time: the functions with the most
 * self time, and (with --total) the most inclusive time.
 *   node dist/bench/tools/profile-top.js FILE.cpuprofile [--total] [--limit=N]
 * Profiles come from `BENCH_PROFILE=DIR npm run bench` (see bench/lib/options.ts).
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

function main (argv: string[]): void {
  const file = argv.find(a => !a.startsWith('--'))
  if (file === undefined) throw new Error('usage: profile-top FILE.cpuprofile [--total] [--limit=N]')
  const limit = Number(argv.find(a => a.startsWith('--limit='))?.slice(8) ?? 25)
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  const name = (n: Node): string => {
    const f = n.callFrame
    const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`
    return `${f.functionName === '' ? '(anonymous)' : f.functionName}${where}`
  }
  const sum = new Map<string, number>()
  if (argv.includes('--total')) {
    for (const [id, t] of self) {
      const seen = new Set<string>()
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const key = name(byId.get(cur)!)
        if (seen.has(key)) continue
        seen.add(key)
        sum.set(key, (sum.get(key) ?? 0) + t)
      }
    }
  } else {
    for (const [id, t] of self) {
      const key = name(byId.get(id)!)
      sum.set(key, (sum.get(key) ?? 0) + t)
    }
  }
  const rows = [...sum].sort((a, b) => b[1] - a[1]).slice(0, limit)
  process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`)
  for (const [key, t] of rows) process.stdout.write(`${(100 * t / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(1).padStart(8)} ms  ${key}\n`)
}

main(process.argv.slice(2))

/**
 * `npm run measure -w apps/support-desk`: the load of test/load.test.ts,
 * printed (p50/p99 customer -> staff, the desk process's RSS, the load
 * average). Options: --customers=N (100), --messages=N (5), --runs=N (1).
 */
import { describe, runLoad } from './load.js'

const arg = (name: string, fallback: number): number => {
  const v = process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  const n = v === undefined ? fallback : Number(v)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer`)
  return n
}

const runs = arg('runs', 1)
for (let r = 1; r <= runs; r++) {
  const f = await runLoad({ customers: arg('customers', 100), messages: arg('messages', 5), staffPerDepartment: 2, timeoutMs: 180_000 }, line => { console.log(line) })
  console.log(`run ${r}/${runs}:\n${describe(f)}`)
  if (f.atStaff !== f.sent || f.answered !== f.sent) process.exitCode = 1
}

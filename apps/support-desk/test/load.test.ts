/**
 * The seed's load, 100 concurrent conversations over 4 departments with the
 * desk in its own process: every customer message reaches its staff member and
 * every answer its customer. The figures (p99 latency, the desk's RSS) are
 * printed, not asserted: speed is for `npm run measure -w apps/support-desk`.
 */
import t from 'tap'
import { describe, runLoad } from '../bench/load.js'

t.setTimeout(240_000)

t.test('100 concurrent conversations: every message delivered both ways', async t => {
  const f = await runLoad({ customers: 100, messages: 5, staffPerDepartment: 2, timeoutMs: 120_000 })
  t.comment(describe(f))
  t.equal(f.sent, 500, 'every customer sent every message')
  t.equal(f.atStaff, 500, 'every message reached its staff member')
  t.equal(f.answered, 500, 'every answer reached its customer')
})

/**
 * The pace the fan-out's paced sender and its floor keep (bench/lib/pace.ts):
 * message `first` is due when the pace is made, the others 1/perSecond apart,
 * and dueNow() counts the messages due so far.
 */
import t from 'tap'
import { Pace } from '../../bench/lib/pace.js'

t.test('messages fall due 1/perSecond apart from the first, which is due at once', async t => {
  const before = process.hrtime.bigint()
  const pace = new Pace(100, 4000)
  const after = process.hrtime.bigint()
  const first = pace.dueAt(100)
  t.ok(first >= before && first <= after, 'the first message is due when the pace is made')
  t.equal(pace.dueAt(104) - first, 1_000_000n, 'four messages at 4,000 a second: 1 ms apart')
  t.equal(pace.dueAt(4100) - first, 1_000_000_000n, 'a second of messages: 1 s later')
  t.ok(pace.dueNow() >= 101, 'message 100 is due at once: dueNow is past it')
})

t.test('dueNow counts what the clock says is due, and only grows', async t => {
  const pace = new Pace(0, 1000)
  const start = pace.dueAt(0)
  const early = pace.dueNow()
  t.ok(early >= 1, 'message 0 is due at once')
  await new Promise(resolve => setTimeout(resolve, 20))
  const later = pace.dueNow()
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6
  t.ok(later >= 20, `after 20 ms at 1,000 a second at least 20 messages are due (${later})`)
  t.ok(later <= Math.floor(elapsedMs) + 1, `and no more than the clock says (${later} after ${elapsedMs.toFixed(1)} ms)`)
  t.ok(later > early, 'it grows')
})

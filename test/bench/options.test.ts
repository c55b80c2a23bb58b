/** The benchmark's options: which parts run, how many rounds, and when the docs may be rewritten. */
import t from 'tap'
import { parseOptions } from '../../bench/lib/options.js'

const KNOWN = ['roundtrip', 'throughput', 'fanout', 'memory']

t.test('a plain run is complete: every part, five rounds, 1,000 sessions', async t => {
  const o = parseOptions([], {}, KNOWN)
  t.same(o.parts, KNOWN)
  t.equal(o.repeats, 5)
  t.equal(o.sessions, 1000)
  t.equal(o.quick, false)
  t.equal(o.complete, true)
})

t.test('--quick runs every part with three rounds and 100 sessions, and never rewrites the docs', async t => {
  const o = parseOptions(['--quick'], {}, KNOWN)
  t.same(o.parts, KNOWN)
  t.equal(o.repeats, 3)
  t.equal(o.sessions, 100)
  t.equal(o.complete, false)
})

t.test('--only keeps the registry order and makes the run partial; explicit values win over the quick defaults', async t => {
  const o = parseOptions(['--only=fanout,roundtrip', '--quick', '--repeats=4', '--sessions=50'], {}, KNOWN)
  t.same(o.parts, ['roundtrip', 'fanout'])
  t.equal(o.repeats, 4)
  t.equal(o.sessions, 50)
  t.equal(o.complete, false)
  t.equal(parseOptions(['--repeats=2'], {}, KNOWN).complete, false, 'fewer than 3 rounds never rewrites the docs')
  t.equal(parseOptions([], { BENCH_REPEATS: '7', BENCH_SESSIONS: '20' }, KNOWN).repeats, 7)
})

t.test('--from names a results file to rewrite the docs from', async t => {
  t.equal(parseOptions(['--from=bench/results/latest.json'], {}, KNOWN).from, 'bench/results/latest.json')
  t.equal(parseOptions([], {}, KNOWN).from, undefined)
  t.throws(() => parseOptions(['--from='], {}, KNOWN), /unknown argument --from=/)
})

t.test('mistakes are refused with a message that names them', async t => {
  t.throws(() => parseOptions(['--only=fanout,nope'], {}, KNOWN), /unknown part "nope" \(parts: roundtrip, throughput, fanout, memory\)/)
  t.throws(() => parseOptions(['--fast'], {}, KNOWN), /unknown argument --fast/)
  t.throws(() => parseOptions(['--repeats=x'], {}, KNOWN), /--repeats must be an integer/)
  t.throws(() => parseOptions(['--repeats=0'], {}, KNOWN), /at least 1/)
  t.throws(() => parseOptions(['--sessions=5'], {}, KNOWN), /at least 10/)
  t.throws(() => parseOptions([], { BENCH_REPEATS: '2.5' }, KNOWN), /BENCH_REPEATS must be an integer/)
})

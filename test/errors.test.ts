import t from 'tap'
import { BrokerError } from '../src/errors.js'

t.test('a broker error carries its name, code and a TDLib-shaped form', async t => {
  const e = new BrokerError('UNKNOWN_SESSION', 'no session 42')
  t.equal(e.code, 404)
  t.same(e.toTd(), { '@type': 'error', code: 404, message: 'UNKNOWN_SESSION: no session 42' })
})

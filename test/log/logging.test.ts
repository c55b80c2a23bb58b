/** Logging: siptg's debug levels, and no secret in a verbose log. */
import t from 'tap'
import { pinoLevel } from '../../src/log/logger.js'
import { redactSecrets } from '../../src/log/redact.js'
import { startBroker, TEST_ALLOWED_REQUESTS } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'

t.test('debug_level maps onto pino levels', async t => {
  t.same([0, 1, 2, 3, 4, 5, 6].map(pinoLevel), ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'])
})

t.test('redaction blanks credentials at any depth and keeps the rest', async t => {
  const redacted = redactSecrets({
    '@type': 'checkAuthenticationEmailCode',
    code: { '@type': 'emailAddressAuthenticationCode', code: '77777' },
    list: [{ password: 'p', token: '1:AA', api_hash: 'h', keep: 'me' }],
    error: { code: 400, message: 'shown' }
  })
  t.same(redacted, {
    '@type': 'checkAuthenticationEmailCode',
    code: { '@type': 'emailAddressAuthenticationCode', code: '[redacted]' },
    list: [{ password: '[redacted]', token: '[redacted]', api_hash: '[redacted]', keep: 'me' }],
    error: { code: 400, message: 'shown' }
  })
})

t.test('at verbose level requests and answers are logged without secrets', async t => {
  const b = await startBroker({ allowed_requests: [...TEST_ALLOWED_REQUESTS, 'checkAuthenticationPassword', 'checkAuthenticationCode'] })
  t.teardown(b.stop)
  const a = await TestClient.connect(b.port)
  t.teardown(() => { a.close() })
  const session = await a.createSession()
  await a.request({ '@type': 'checkAuthenticationPassword', password: 'hunter2-secret', '@session': session })
  await a.request({ '@type': 'checkAuthenticationCode', code: '99123-SECRET-CODE', '@session': session })
  const all = JSON.stringify(b.logs.records)
  t.notMatch(all, 'hunter2-secret')
  t.notMatch(all, 'SECRET-CODE')
  const logged = b.logs.find(r => r.msg === 'request' && (r.request as Record<string, unknown>)['@type'] === 'checkAuthenticationPassword')
  t.same((logged?.request as Record<string, unknown>).password, '[redacted]', 'the request is logged, its password blanked')
  t.ok(b.logs.find(r => r.msg === 'update' && r.session === session), 'updates are logged at verbose level')
  t.ok(b.logs.find(r => r.msg === 'client connected'), 'connects are logged')
  t.ok(b.logs.find(r => r.msg === 'session started' && r.session === session), 'session starts are logged')
})

/** The settings: the example file is valid; unknown keys, bad values and missing secrets are all reported at once. */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { configFromObject, feedConfigFromObject } from '../src/config.js'
import { PaymentsError } from '../src/errors.js'

const here = dirname(fileURLToPath(import.meta.url))
const example = JSON.parse(readFileSync(resolve(here, '../payments.example.json'), 'utf8')) as Record<string, any>
const env = { PAYMENTS_BROKER_KEY: 'k', PAYMENTS_BOT_TOKEN: '7000101:secret', PAYMENTS_WEBHOOK_SECRET: 'hook-secret' }

t.test('the example settings are valid and frozen, with defaults', async t => {
  const c = configFromObject(example, env, '/srv/payments')
  t.same([c.broker.url, c.accountSession, c.operators.length, c.stateFile, c.maxCustomers], ['tcp://localhost:23456', '1234567890', 2, '/srv/payments/payments-state.json', 10_000])
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.operators[0]), 'frozen')
  t.same(feedConfigFromObject(example, { PAYMENTS_OPERATOR_TOKEN: '7000101:op' }), { apiRoot: 'http://localhost:8081', token: '7000101:op' })
})

t.test('every problem at once, with its place', async t => {
  const bad = { ...example, webhok: {}, webhook: { ...example.webhook, port: 70000 }, operators: [{ name: 'Olga', user_id: 5 }, { name: 'Again', user_id: 5, role: 'x' }] }
  const e = (() => { try { configFromObject(bad, { PAYMENTS_BOT_TOKEN: 'no-colon' }, '/') } catch (e) { return e } })() as PaymentsError
  t.ok(e instanceof PaymentsError)
  t.equal(e.code, 'CONFIG_INVALID')
  for (const problem of ['$.webhok: unknown key', '$.webhook.port: must be an integer from 0 to 65535', '$.operators[1].role: unknown key', '$.operators: a user_id is listed twice',
    'environment: PAYMENTS_BROKER_KEY is not set', 'environment: PAYMENTS_BOT_TOKEN must match', 'environment: PAYMENTS_WEBHOOK_SECRET is not set']) t.match(e.message, problem)
  t.throws(() => feedConfigFromObject(example, {}), /PAYMENTS_OPERATOR_TOKEN must be set/)
})

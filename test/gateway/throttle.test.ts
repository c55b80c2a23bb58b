/**
 * Wrong tokens at /bot<TOKEN>/ slow their address down, as wrong client keys
 * do (clients/throttle.ts, the same throttle): each is 401 Unauthorized as
 * Telegram answers, counted in tdbroker_auth_failures_total, and the next
 * attempt from that address waits; a queue of attempts too long is refused
 * at once with 429 and retry_after. A right token still works afterwards.
 */
import { pino } from 'pino'
import t from 'tap'
import { UploadStore } from '../../src/files/uploads.js'
import { AuthThrottle } from '../../src/clients/throttle.js'
import { ClientDirectory } from '../../src/clients/directory.js'
import { hashClientKey } from '../../src/clients/key-hash.js'
import { BotApiGateway, type GatewayHost } from '../../src/gateway/gateway.js'
import { newBotToken } from '../../src/gateway/tokens.js'
import { tempDir } from '../helpers/broker.js'
import { TEST_SCRYPT } from '../helpers/clients.js'
import { LogSink } from '../helpers/log-sink.js'
import { botCall, prepareWorld, startGateway, wrongToken } from './helpers.js'

t.test('wrong tokens: 401, counted, and the address slowed down', async t => {
  const world = await prepareWorld(tempDir('tdbroker-gw-throttle-'), { backend: {} })
  // Metrics are counted only with an admin section (docs/operations.md).
  const running = await startGateway(world, {}, {}, { admin: { host: '127.0.0.1', port: 0 } })
  t.teardown(async () => { await running.stop() })
  const token = world.consumers[0]!.token
  const wrong = wrongToken(token)
  for (let i = 0; i < 3; i++) {
    const answer = await botCall(running.apiRoot, wrong, 'getMe')
    t.same([answer.status, answer.body], [401, { ok: false, error_code: 401, description: 'Unauthorized' }], `wrong token ${i + 1}: 401`)
  }
  const delayed = running.logs.records.filter(l => l.msg === 'Bot API: another wrong token from this address; its next attempts are delayed')
  t.same(delayed.map(l => l.failures), [2, 3], 'the failures of the address are counted and logged')
  t.equal(running.broker.authThrottle.failures('127.0.0.1'), 3, "the broker's throttle holds them")
  const metric = await running.broker.metrics.registry.getSingleMetric('tdbroker_auth_failures_total')?.get()
  t.equal(metric?.values.find(v => v.labels.reason === 'bot_api_unknown_token')?.value, 3, 'counted in the metrics')
  const right = await botCall(running.apiRoot, token, 'getMe')
  t.equal(right.status, 200, 'the right token works after its delay')
  t.equal(running.broker.authThrottle.failures('127.0.0.1'), 0, 'and a right token forgets the address')
})

t.test('a flood is refused at once with 429', async t => {
  const logs = new LogSink()
  const token = newBotToken(7000002)
  const consumer = { name: 'c', bot_id: 7000002, session: '1', client: 'c', token_hash: await hashClientKey(token, TEST_SCRYPT), webhook_hosts: [], webhook_allow_http: false, group: false, group_handover_timeout: 15 }
  const refused: string[] = []
  const host: GatewayHost = {
    registry: { get: () => undefined } as unknown as GatewayHost['registry'],
    clients: new ClientDirectory({ clients: [], allowed_requests: [], allowed_updates: [] }),
    backend: { execute: () => ({ '@type': 'error', code: 500, message: 'unused' }) },
    execute: async () => ({ '@type': 'error', code: 500, message: 'unused' }),
    uploads: new UploadStore(),
    settings: { tdlib: { path: tempDir('tdbroker-throttle-') }, max_upload_file_size: 1048576 },
    tokenRefused: reason => { refused.push(reason) }
  }
  const gateway = new BotApiGateway({ host: '127.0.0.1', port: 0, tls: false, max_queue: 10, max_upload_size: 1048576, consumers: [consumer] }, host, pino(logs),
    new AuthThrottle({ baseDelayMs: 10_000, maxQueueMs: 1_000 }))
  const address = await gateway.start()
  t.teardown(async () => { await gateway.stop() })
  const root = `http://127.0.0.1:${address.port}`
  const wrong = wrongToken(token)
  t.equal((await botCall(root, wrong, 'getMe')).status, 401, 'the first wrong token is only unauthorized')
  const flood = await botCall(root, wrong, 'getMe')
  t.same([flood.status, flood.body.error_code, flood.body.description, flood.body.parameters], [429, 429, 'Too Many Requests: retry after 10', { retry_after: 10 }], 'the next one would wait longer than maxQueueMs: 429 at once')
  t.same(refused, ['unknown_token', 'throttled'], 'both counted, by reason')
})

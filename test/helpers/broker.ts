/** Starts an in-process broker on a free loopback port with its own temporary storage. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { settingsFromObject } from '../../src/settings/load.js'
import type { Settings } from '../../src/settings/types.js'
import type { TdBackend } from '../../src/tdlib/backend.js'
import { createBackend } from '../../src/tdlib/create-backend.js'
import type { ThrottleOptions } from '../../src/clients/throttle.js'
import type { BrokerStoreOptions } from '../../src/store/storage.js'
import type { Step } from '../../src/server/pipeline.js'
import { LogSink } from './log-sink.js'

export interface TestBroker {
  broker: Broker
  port: number
  dir: string
  logs: LogSink
  settings: Settings
  backend: TdBackend
  stop(): Promise<void>
}

export const TEST_ALLOWED_REQUESTS = ['testSquareInt', 'testCallString', 'testCallEmpty', 'testReturnError', 'getOption', 'getAuthorizationState', 'close', 'setAuthenticationPhoneNumber']

export function tempDir (prefix = 'tdbroker-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * `raw` is a settings.json object; tdlib.path defaults to <dir>/sessions.
 * `authThrottle` tunes the broker's authentication throttle (tests of clients).
 */
export async function startBroker (raw: Record<string, unknown> = {}, opts: { dir?: string, backend?: TdBackend, authThrottle?: Partial<ThrottleOptions>, clock?: () => number, store?: BrokerStoreOptions, steps?: Step[] } = {}): Promise<TestBroker> {
  const dir = opts.dir ?? tempDir()
  const tdlib = { api_id: 94575, api_hash: 'test', path: 'sessions', ...(raw.tdlib as object | undefined) }
  const settings = settingsFromObject({ host: '127.0.0.1', port: 0, allowed_requests: TEST_ALLOWED_REQUESTS, ...raw, tdlib }, dir)
  const logs = new LogSink()
  const logger = pino({ level: 'trace' }, logs)
  const backend = opts.backend ?? await createBackend(settings, logger)
  const broker = new Broker({
    settings, backend, logger,
    ...(opts.authThrottle === undefined ? {} : { authThrottle: opts.authThrottle }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.store === undefined ? {} : { store: opts.store })
  }, opts.steps)
  await broker.start()
  const port = broker.addresses.tcp?.port ?? 0
  return {
    broker, port, dir, logs, settings, backend,
    async stop () {
      await broker.stop('test over')
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true })
    }
  }
}

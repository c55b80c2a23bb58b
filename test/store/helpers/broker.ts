/** A test broker like test/helpers/broker.ts, with store tuning (fast MySQL reconnects) and a kept folder. */
import { rmSync } from 'node:fs'
import { pino } from 'pino'
import { Broker } from '../../../src/broker.js'
import { settingsFromObject } from '../../../src/settings/load.js'
import type { Settings } from '../../../src/settings/types.js'
import type { BrokerStoreOptions } from '../../../src/store/storage.js'
import type { TdBackend } from '../../../src/tdlib/backend.js'
import { createBackend } from '../../../src/tdlib/create-backend.js'
import { TEST_ALLOWED_REQUESTS, tempDir } from '../../helpers/broker.js'
import { LogSink } from '../../helpers/log-sink.js'

export interface StoreBroker {
  broker: Broker
  port: number
  logs: LogSink
  settings: Settings
  stop(): Promise<void>
}

/** Starts a broker on `dir` (kept after stop, so a second broker can reuse it). */
export async function startStoreBroker (dir: string, raw: Record<string, unknown>, opts: { backend?: TdBackend, store?: BrokerStoreOptions } = {}): Promise<StoreBroker> {
  const tdlib = { api_id: 94575, api_hash: 'test', path: 'sessions', ...(raw.tdlib as object | undefined) }
  const settings = settingsFromObject({ host: '127.0.0.1', port: 0, allowed_requests: TEST_ALLOWED_REQUESTS, ...raw, tdlib }, dir)
  const logs = new LogSink()
  const logger = pino({ level: 'trace' }, logs)
  const backend = opts.backend ?? await createBackend(settings, logger)
  const broker = new Broker({ settings, backend, logger, store: { mirror: { retryMs: [100, 500] }, ...opts.store } })
  await broker.start()
  return { broker, port: broker.addresses.tcp?.port ?? 0, logs, settings, stop: async () => { await broker.stop('test over') } }
}

/** Polls `cond` until it holds (for state that settles asynchronously, like MySQL rows). */
export async function until (cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

const scratch: string[] = []
process.once('exit', () => { for (const dir of scratch) rmSync(dir, { recursive: true, force: true }) })

/** A temporary folder, deleted when the test process exits (after every broker in it has stopped). */
export function scratchDir (prefix = 'tdbroker-test-'): string {
  const dir = tempDir(prefix)
  scratch.push(dir)
  return dir
}

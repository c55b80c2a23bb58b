/** Clients with keys, for tests: settings entries and authenticated connections. */
import { rmSync } from 'node:fs'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { hashClientKey, newClientKey } from '../../src/clients/key-hash.js'
import type { ThrottleOptions } from '../../src/clients/throttle.js'
import { settingsFromObject } from '../../src/settings/load.js'
import type { TdBackend } from '../../src/tdlib/backend.js'
import { createBackend } from '../../src/tdlib/create-backend.js'
import { tempDir, TEST_ALLOWED_REQUESTS, type TestBroker } from './broker.js'
import { TestClient, type Msg } from './client.js'
import { LogSink } from './log-sink.js'

/** Cheap scrypt parameters: tests check behaviour, not hashing cost. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 }

export interface TestKey { key: string, hash: string }

export async function testKey (): Promise<TestKey> {
  const key = newClientKey()
  return { key, hash: await hashClientKey(key, TEST_SCRYPT) }
}

/** A settings entry for a client that proves itself with `key`. */
export function keyClient (name: string, key: TestKey, scope: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, key_hash: key.hash, scope }
}

/** Connects and authenticates; fails the test (throws) unless the broker accepts. */
export async function connectAs (port: number, name: string, key: TestKey): Promise<TestClient> {
  const client = await TestClient.connect(port)
  const answer = await client.request({ '@type': 'broker.authenticate', name, key: key.key })
  if (answer['@type'] !== 'broker.authenticated') throw new Error(`authentication as ${name} failed: ${JSON.stringify(answer)}`)
  return client
}

/** The answer's error name ("REQUEST_NOT_ALLOWED"), or undefined for a non-error. */
export function errorName (m: Msg): string | undefined {
  return m['@type'] === 'error' ? String(m.message).split(':')[0] : undefined
}

/**
 * startBroker of test/helpers/broker.ts, plus the broker's own options
 * (throttle tuning) and a backend of the test's choosing.
 */
export async function startBroker (raw: Record<string, unknown> = {}, opts: { dir?: string, backend?: TdBackend, authThrottle?: Partial<ThrottleOptions> } = {}): Promise<TestBroker> {
  const dir = opts.dir ?? tempDir()
  const tdlib = { api_id: 94575, api_hash: 'test', path: 'sessions', ...(raw.tdlib as object | undefined) }
  const settings = settingsFromObject({ host: '127.0.0.1', port: 0, allowed_requests: TEST_ALLOWED_REQUESTS, ...raw, tdlib }, dir)
  const logs = new LogSink()
  const logger = pino({ level: 'trace' }, logs)
  const backend = opts.backend ?? await createBackend(settings, logger)
  const broker = new Broker({ settings, backend, logger, ...(opts.authThrottle === undefined ? {} : { authThrottle: opts.authThrottle }) })
  await broker.start()
  return {
    broker, port: broker.addresses.tcp?.port ?? 0, dir, logs, settings, backend,
    async stop () {
      await broker.stop('test over')
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Sends a raw line (duplicate keys, __proto__ as JSON text) and waits for the answer carrying `extra`. */
export async function rawRequest (client: TestClient, line: string, extra: string): Promise<Msg> {
  client.sendRaw(line + '\n')
  return await client.waitFor(m => m['@extra'] === extra, 10_000, `answer to ${line}`)
}

/** Clients with keys, for tests: settings entries and authenticated connections. */
import { hashClientKey, newClientKey } from '../../src/clients/key-hash.js'
import { TestClient, type Msg } from './client.js'

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

/** The broker test helper, which also takes the authentication throttle's options. */
export { startBroker } from './broker.js'

/** Sends a raw line (duplicate keys, __proto__ as JSON text) and waits for the answer carrying `extra`. */
export async function rawRequest (client: TestClient, line: string, extra: string): Promise<Msg> {
  client.sendRaw(line + '\n')
  return await client.waitFor(m => m['@extra'] === extra, 10_000, `answer to ${line}`)
}

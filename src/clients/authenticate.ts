/**
 * broker.authenticate: a client name and key checked against the clients of
 * settings, behind the per-address throttle. Every failure looks the same to
 * the client (unknown name, wrong key, a client without a key), and takes
 * about the same time: an unknown name is checked against a dummy hash.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { BrokerError } from '../errors.js'
import type { ClientDirectory, ClientEntry } from './directory.js'
import { DEFAULT_SCRYPT, verifyClientKey, type KeyHash } from './key-hash.js'
import type { AuthThrottle } from './throttle.js'

/** Longest name and key looked at; anything longer cannot be valid. */
const MAX_NAME = 64
const MAX_KEY = 512

let dummy: KeyHash | undefined

/** Why an attempt failed, for the log and audit only (the client is told AUTH_FAILED). */
export class AuthFailure extends Error {
  constructor (readonly error: BrokerError, readonly why: string, readonly failures: number) { super(why) }
}

/**
 * Checks `name` and `key`. Resolves with the client; rejects with an
 * AuthFailure carrying the error to send. `waited` reports the throttle's
 * delay before the check, for the log.
 */
export async function authenticateKey (
  directory: ClientDirectory, throttle: AuthThrottle, address: string, name: unknown, key: unknown,
  waited: (ms: number) => void = () => {}
): Promise<ClientEntry> {
  const wait = throttle.admit(address)
  if (wait === undefined) {
    throw new AuthFailure(new BrokerError('AUTH_RATE_LIMITED'), 'rate limited', throttle.failures(address))
  }
  if (wait > 0) {
    waited(wait)
    await sleep(wait, undefined, { ref: false })
  }
  const entry = typeof name === 'string' && name.length <= MAX_NAME ? directory.byName(name) : undefined
  const usableKey = typeof key === 'string' && key.length <= MAX_KEY ? key : ''
  const expected = entry?.keyHash ?? dummyHash()
  const matches = await verifyClientKey(usableKey, expected)
  let why: string | undefined
  if (typeof name !== 'string' || typeof key !== 'string') why = 'name and key must be strings'
  else if (entry === undefined) why = 'unknown client name'
  else if (entry.keyHash === undefined) why = 'this client authenticates by certificate only'
  else if (!matches) why = 'wrong key'
  if (why !== undefined || entry === undefined) {
    const failures = throttle.fail(address)
    throw new AuthFailure(new BrokerError('AUTH_FAILED'), why ?? 'unknown client name', failures)
  }
  throttle.succeed(address)
  return entry
}

function dummyHash (): KeyHash {
  dummy ??= { ...DEFAULT_SCRYPT, salt: randomBytes(16), hash: randomBytes(32) }
  return dummy
}

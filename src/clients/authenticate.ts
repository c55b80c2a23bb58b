/**
 * broker.authenticate: a client name and key checked against the clients of
 * settings, behind the throttle (per address and per name). Every failure looks the same to
 * the client (unknown name, wrong key, a client without a key), and takes
 * about the same time: an unknown name is checked against a dummy hash.
 */
import { randomBytes } from 'node:crypto'
import { BrokerError } from '../errors.js'
import type { ClientDirectory, ClientEntry } from './directory.js'
import { DEFAULT_SCRYPT, verifyClientKey, type KeyHash } from './key-hash.js'
import { ThrottleRefused, type AuthThrottle, type Turn } from './throttle.js'

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
 * AuthFailure carrying the error to send, or with the signal's reason when
 * `signal` aborts while the attempt waits its turn. `waited` reports the
 * throttle's queueing and delay before the check, for the log.
 */
export async function authenticateKey (
  directory: ClientDirectory, throttle: AuthThrottle, address: string, name: unknown, key: unknown,
  waited: (ms: number, failures: number) => void = () => {}, signal?: AbortSignal
): Promise<ClientEntry> {
  const claimed = typeof name === 'string' ? name.slice(0, MAX_NAME) : undefined
  const keys = { address, name: claimed, known: claimed !== undefined && directory.byName(claimed) !== undefined }
  let turn: Turn
  try {
    turn = await throttle.acquire(keys, signal)
  } catch (e) {
    if (e instanceof ThrottleRefused) throw new AuthFailure(new BrokerError('AUTH_RATE_LIMITED'), 'rate limited', e.failures)
    throw e
  }
  if (turn.delayed) waited(turn.waited, throttle.worst(keys))
  try {
    return await check(directory, turn, name, key)
  } finally {
    turn.release() // a no-op after fail or succeed
  }
}

async function check (directory: ClientDirectory, turn: Turn, name: unknown, key: unknown): Promise<ClientEntry> {
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
    const failures = turn.fail()
    throw new AuthFailure(new BrokerError('AUTH_FAILED'), why ?? 'unknown client name', failures)
  }
  turn.succeed()
  return entry
}

function dummyHash (): KeyHash {
  dummy ??= { ...DEFAULT_SCRYPT, salt: randomBytes(16), hash: randomBytes(32) }
  return dummy
}

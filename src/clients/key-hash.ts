/**
 * Client keys and their hashes. Settings keep only a salted scrypt hash whose
 * parameters travel inside the string ("scrypt$N=16384,r=8,p=1$salt$hash",
 * base64url without padding), so they can be raised later without breaking
 * existing entries. Keys are compared in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/** Parameters for new hashes: about 16 MiB and a few tens of milliseconds per check. */
export const DEFAULT_SCRYPT = Object.freeze({ N: 16384, r: 8, p: 1 })

const KEY_PREFIX = 'tdbk_'
const HASH_BYTES = 32
const SALT_BYTES = 16
/** Bounds on parameters read from settings: enough for any sane hash, too little to exhaust memory. */
const LIMITS = { minN: 1024, maxN: 1 << 20, maxR: 32, maxP: 16, maxMem: 256 * 1024 * 1024 }

export interface KeyHash {
  readonly N: number
  readonly r: number
  readonly p: number
  readonly salt: Buffer
  readonly hash: Buffer
}

/** A new random client key (256 bits), printable and safe in JSON and shells. */
export function newClientKey (): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url')
}

/** Parses a key_hash string; returns a sentence saying what is wrong instead when it is unusable. */
export function parseKeyHash (text: string): KeyHash | string {
  const m = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(text)
  if (m === null) return 'is not a scrypt key hash (scrypt$N=...,r=...,p=...$salt$hash)'
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (N < LIMITS.minN || N > LIMITS.maxN || (N & (N - 1)) !== 0) return `N must be a power of two from ${LIMITS.minN} to ${LIMITS.maxN} (got ${N})`
  if (r < 1 || r > LIMITS.maxR) return `r must be from 1 to ${LIMITS.maxR} (got ${r})`
  if (p < 1 || p > LIMITS.maxP) return `p must be from 1 to ${LIMITS.maxP} (got ${p})`
  if (128 * N * r > LIMITS.maxMem) return `N and r together need more than ${LIMITS.maxMem / 1048576} MiB`
  const salt = Buffer.from(m[4] as string, 'base64url')
  const hash = Buffer.from(m[5] as string, 'base64url')
  if (salt.length < 8) return 'the salt is shorter than 8 bytes'
  if (hash.length < 16) return 'the hash is shorter than 16 bytes'
  return { N, r, p, salt, hash }
}

/** The key_hash string for `key`, with a fresh salt. */
export async function hashClientKey (key: string, params: { N: number, r: number, p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(key, salt, HASH_BYTES, params)
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

/** True when `key` matches `expected`; the comparison takes the same time wherever they differ. */
export async function verifyClientKey (key: string, expected: KeyHash): Promise<boolean> {
  const actual = await derive(key, expected.salt, expected.hash.length, expected)
  return timingSafeEqual(actual, expected.hash)
}

async function derive (key: string, salt: Buffer, length: number, { N, r, p }: { N: number, r: number, p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: LIMITS.maxMem + 1024 * 1024 }
  return await new Promise((resolve, reject) => {
    scrypt(key, salt, length, options, (err, derived) => { if (err !== null) reject(err); else resolve(derived) })
  })
}

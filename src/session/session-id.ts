/**
 * Session ids are opaque random 64-bit numbers written in decimal. Anything
 * else from a client is refused before it can reach the file system, so an
 * id can never name a path ("..", "/", "1/../2") or a hidden file.
 */
import { randomBytes } from 'node:crypto'

const ID = /^[1-9][0-9]{0,19}$/
const MAX = (1n << 64n) - 1n

export function isSessionId (value: unknown): value is string {
  return typeof value === 'string' && ID.test(value) && BigInt(value) <= MAX
}

export function newSessionId (): string {
  let n = 0n
  while (n === 0n) n = randomBytes(8).readBigUInt64BE()
  return n.toString(10)
}

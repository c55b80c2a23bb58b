/** The broker's own version and the wire protocol's version. */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Bumped whenever docs/protocol.md changes in a way a client can notice. */
export const PROTOCOL_VERSION = 2

function findPackageJson (): string {
  // Works from src/ (tests) and from dist/src/ (the installed command) alike.
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) return candidate
    dir = dirname(dir)
  }
  throw new Error('tdbroker: package.json not found above ' + fileURLToPath(import.meta.url))
}

/** The project root (where package.json, sandbox/ and schema.sql live). */
export const PACKAGE_ROOT = dirname(findPackageJson())
export const VERSION: string = (JSON.parse(readFileSync(findPackageJson(), 'utf8')) as { version: string }).version

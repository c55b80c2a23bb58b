/** The documentation and the code must not drift: every error and control request is documented. */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { BROKER_ERRORS } from '../src/errors.js'
import { CONTROL_REQUESTS } from '../src/server/control.js'
import { PROTOCOL_VERSION } from '../src/version.js'
import { RESERVED_REQUESTS } from '../src/policy/policy.js'

const protocol = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8')

t.test('every broker error is in the protocol error table with its code', async t => {
  for (const [name, { code }] of Object.entries(BROKER_ERRORS)) {
    t.match(protocol, new RegExp(`\\| \`${name}\` \\| ${code} \\|`), name)
  }
})

t.test('every control request is documented', async t => {
  for (const name of CONTROL_REQUESTS) t.match(protocol, `| \`${name}\` |`, name)
})

t.test('every reserved request is named and the protocol version matches', async t => {
  for (const name of RESERVED_REQUESTS) t.match(protocol, `\`${name}\``, name)
  t.match(protocol, `Protocol version: **${PROTOCOL_VERSION}**`)
})

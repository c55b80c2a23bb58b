/**
 * `tdbroker client add NAME`: makes a new random key for a client, prints
 * it once (the broker never stores it), and prints the settings entry to
 * paste into `clients`, which holds only the key's hash.
 */
import { hashClientKey, newClientKey } from '../clients/key-hash.js'
import { clientSchema } from '../settings/schema.js'

const USAGE = `usage: tdbroker client add NAME
  print a new key for client NAME (shown once) and the "clients" entry for settings.json`

const NAME = new RegExp(clientSchema.properties.name.pattern)

export async function clientCommand (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [sub, ...rest] = args
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    out(USAGE)
    return 0
  }
  if (sub !== 'add' || rest.length !== 1 || rest[0] === undefined) {
    err(USAGE)
    return 64
  }
  const name = rest[0]
  if (!NAME.test(name)) {
    err(`tdbroker client add: the name ${JSON.stringify(name)} ${clientSchema.properties.name['x-rule']}`)
    return 64
  }
  const key = newClientKey()
  const entry = {
    name,
    key_hash: await hashClientKey(key),
    scope: { sessions: 'own', may_create_sessions: true }
  }
  out(`Key for client "${name}" (shown only now; the broker keeps only its hash, so store it where the client can read it):`)
  out('')
  out(`  ${key}`)
  out('')
  out('The client sends it as its first line:')
  out(`  {"@type":"broker.authenticate","name":${JSON.stringify(name)},"key":"<the key above>"}`)
  out('')
  out('Add this entry to "clients" in settings.json, narrow its scope (docs/clients.md), then reload (SIGHUP) or restart:')
  out('')
  out(`  ${JSON.stringify(entry)}`)
  return 0
}

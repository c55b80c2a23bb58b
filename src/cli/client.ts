/**
 * `tdbroker client add NAME`: makes a new random key for a client, prints
 * it once (the broker never stores it), and prints the settings entry to
 * paste into `clients`, which holds only the key's hash.
 */
import { hashClientKey, newClientKey } from '../clients/key-hash.js'
import { clientSchema } from '../settings/schema.js'
import { runCommand, UsageError, type CommandSpec } from './args.js'

export const CLIENT: CommandSpec = {
  usage: `usage: tdbroker client add NAME
  print a new key for client NAME (shown once) and the "clients" entry for settings.json`,
  options: {},
  positionals: [2, 2]
}

const NAME = new RegExp(clientSchema.properties.name.pattern)

export async function clientCommand (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return await runCommand('client', CLIENT, args, out, err, async ({ positionals }) => {
    const [sub, name] = positionals as [string, string]
    if (sub !== 'add') throw new UsageError(`unknown subcommand "${sub}" (there is "add")`)
    if (!NAME.test(name)) throw new UsageError(`the name ${JSON.stringify(name)} ${clientSchema.properties.name['x-rule']}`)
    return await printKey(name, out)
  })
}

async function printKey (name: string, out: (line: string) => void): Promise<number> {
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

/**
 * What the schema cannot say about `bot_api`: consumer names are unique
 * (queue files are named after them), each names a client that exists
 * (its scope is the consumer's), every token_hash is usable, and tls: true
 * has a tls section to take its certificate from.
 * settingsFromObject reports these with the schema's problems.
 */
import { parseKeyHash } from '../clients/key-hash.js'

/** Problems with a schema-valid settings object's bot_api, as "/bot_api/consumers/0/client: ..." sentences. */
export function botApiProblems (data: Record<string, any>): string[] {
  const tlsProblem = data.bot_api?.tls === true && data.tls === undefined ? ['/bot_api/tls: is true, and HTTPS takes its certificate and key from the tls section, which is missing'] : []
  const consumers = data.bot_api?.consumers
  if (!Array.isArray(consumers)) return tlsProblem
  const clients = new Set((Array.isArray(data.clients) ? data.clients : []).map((c: Record<string, unknown>) => c.name))
  const problems: string[] = []
  const names = new Map<string, number>()
  consumers.forEach((c: Record<string, any>, i: number) => {
    const at = `/bot_api/consumers/${i}`
    const first = names.get(c.name)
    if (first !== undefined) problems.push(`${at}/name: "${String(c.name)}" is already the name of /bot_api/consumers/${first}`)
    else names.set(c.name, i)
    if (!clients.has(c.client)) problems.push(`${at}/client: "${String(c.client)}" is not the name of an entry of clients (its scope is the consumer's)`)
    const hash = parseKeyHash(String(c.token_hash))
    if (typeof hash === 'string') problems.push(`${at}/token_hash: ${hash}`)
  })
  return [...tlsProblem, ...problems]
}

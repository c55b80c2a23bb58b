/**
 * What the schema cannot say about `clients`: names and certificates must be
 * unique (two entries for one name would make "who is this" ambiguous), and
 * every key_hash must be usable. settingsFromObject reports these with the
 * schema's problems.
 */
import { parseKeyHash } from './key-hash.js'

/** Normalises a SHA-256 fingerprint for comparison: upper-case hex, no colons. */
export function normalizeFingerprint (text: string): string {
  return text.replace(/:/g, '').toUpperCase()
}

/** Problems with a schema-valid `clients` list, as "/clients/1/name: ..." sentences. */
export function clientsProblems (clients: unknown): string[] {
  if (!Array.isArray(clients)) return []
  const problems: string[] = []
  const names = new Map<string, number>()
  const fingerprints = new Map<string, number>()
  const commonNames = new Map<string, number>()
  clients.forEach((entry: Record<string, any>, i: number) => {
    const at = `/clients/${i}`
    const name = String(entry.name)
    const first = names.get(name)
    if (first !== undefined) problems.push(`${at}/name: "${name}" is already the name of /clients/${first}`)
    else names.set(name, i)
    if (typeof entry.key_hash === 'string') {
      const parsed = parseKeyHash(entry.key_hash)
      if (typeof parsed === 'string') problems.push(`${at}/key_hash: ${parsed}`)
    }
    const cert = entry.certificate as { fingerprint256?: string, subject_cn?: string } | undefined
    if (cert?.fingerprint256 !== undefined) {
      const fp = normalizeFingerprint(cert.fingerprint256)
      const other = fingerprints.get(fp)
      if (other !== undefined) problems.push(`${at}/certificate/fingerprint256: the same certificate already identifies /clients/${other}`)
      else fingerprints.set(fp, i)
    }
    if (cert?.subject_cn !== undefined) {
      const other = commonNames.get(cert.subject_cn)
      if (other !== undefined) problems.push(`${at}/certificate/subject_cn: "${cert.subject_cn}" already identifies /clients/${other}`)
      else commonNames.set(cert.subject_cn, i)
    }
  })
  return problems
}

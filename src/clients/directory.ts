/**
 * The clients of settings, as the broker looks them up: by name (for
 * broker.authenticate) and by certificate (for TLS connections). Built once
 * per settings (at start and on every reload) and never changed.
 */
import type { PeerCertificate } from '../server/transport.js'
import { globalPolicy, openPolicy, type ClientPolicy, type Policy } from '../policy/policy.js'
import { scopedPolicy } from '../policy/scope.js'
import type { ClientSettings, Settings } from '../settings/types.js'
import { normalizeFingerprint } from './check.js'
import { parseKeyHash, type KeyHash } from './key-hash.js'

/** One client, ready to use. */
export interface ClientEntry {
  readonly name: string
  readonly settings: ClientSettings
  readonly keyHash: KeyHash | undefined
  readonly policy: ClientPolicy
}

export class ClientDirectory {
  /** True when settings have a clients list: every connection must then prove who it is. */
  readonly required: boolean
  /** The global whitelists. */
  readonly global: Policy
  /** The policy of every connection when there is no clients list. */
  readonly open: ClientPolicy
  private readonly byNameMap = new Map<string, ClientEntry>()
  private readonly byFingerprint = new Map<string, ClientEntry>()
  private readonly byCommonName = new Map<string, ClientEntry>()

  constructor (settings: Pick<Settings, 'clients' | 'allowed_requests' | 'allowed_updates'> & Partial<Pick<Settings, 'local_files'>>) {
    this.global = globalPolicy(settings)
    this.open = openPolicy(this.global)
    this.required = settings.clients !== undefined
    for (const client of settings.clients ?? []) {
      const parsed = client.key_hash === undefined ? undefined : parseKeyHash(client.key_hash)
      // settingsFromObject refuses unusable hashes; a string here means it was bypassed.
      if (typeof parsed === 'string') throw new Error(`clients: ${client.name}: key_hash ${parsed}`)
      const entry: ClientEntry = Object.freeze({
        name: client.name,
        settings: client,
        keyHash: parsed,
        policy: scopedPolicy(this.global, client.name, client.scope)
      })
      this.byNameMap.set(client.name, entry)
      const cert = client.certificate
      if (cert?.fingerprint256 !== undefined) this.byFingerprint.set(normalizeFingerprint(cert.fingerprint256), entry)
      if (cert?.subject_cn !== undefined) this.byCommonName.set(cert.subject_cn, entry)
    }
  }

  get size (): number { return this.byNameMap.size }
  names (): string[] { return [...this.byNameMap.keys()] }

  byName (name: string): ClientEntry | undefined { return this.byNameMap.get(name) }

  /**
   * The client a verified certificate identifies. An entry that names both a
   * fingerprint and a subject CN needs both to match.
   */
  byCertificate (peer: PeerCertificate | undefined): ClientEntry | undefined {
    if (peer === undefined) return undefined
    const candidates = [
      this.byFingerprint.get(normalizeFingerprint(peer.fingerprint256)),
      peer.commonName === undefined ? undefined : this.byCommonName.get(peer.commonName)
    ]
    return candidates.find(entry => entry !== undefined && certificateMatches(entry.settings, peer))
  }
}

/** Does `peer` satisfy every criterion the client's certificate entry names? */
export function certificateMatches (client: ClientSettings, peer: PeerCertificate | undefined): boolean {
  const cert = client.certificate
  if (cert === undefined || peer === undefined) return false
  if (cert.fingerprint256 !== undefined && normalizeFingerprint(cert.fingerprint256) !== normalizeFingerprint(peer.fingerprint256)) return false
  if (cert.subject_cn !== undefined && cert.subject_cn !== peer.commonName) return false
  return cert.fingerprint256 !== undefined || cert.subject_cn !== undefined
}

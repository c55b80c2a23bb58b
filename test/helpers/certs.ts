// Certificates for tests that start TLS listeners: generated, written into the
// broker's folder under the names the settings fragments below use.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateCaSet, generateSelfSigned, type CaSet, type PemPair, type SelfSignedOptions, type SubjectAltName } from '../../src/certs/generate.js'

/** The names a test reaches a local listener by. */
export const LOCAL_NAMES: readonly SubjectAltName[] = [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]

/** A `tls` listener section on a free loopback port with the files these helpers write. */
export interface TlsSection { host: string, port: number, cert: string, key: string, ca: string }

/**
 * siptg's model: one self-signed pair (valid for LOCAL_NAMES unless `options` say otherwise), written as cert.pem and key.pem in `dir`;
 * `tls` makes it the server certificate and the only accepted client certificate.
 */
export async function writeSelfSignedPair (dir: string, options: SelfSignedOptions = {}): Promise<PemPair & { tls: TlsSection }> {
  const pair = await generateSelfSigned({ altNames: LOCAL_NAMES, ...options })
  writeFileSync(join(dir, 'cert.pem'), pair.cert)
  writeFileSync(join(dir, 'key.pem'), pair.key)
  return { ...pair, tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' } }
}

/** A CA, a server certificate and one client certificate per name, written as server.pem, server-key.pem and ca.pem in `dir`. */
export async function writeCaFiles (dir: string, clients: readonly string[]): Promise<CaSet & { tls: TlsSection }> {
  const set = await generateCaSet({ serverAltNames: LOCAL_NAMES, clients })
  writeFileSync(join(dir, 'server.pem'), set.server.cert)
  writeFileSync(join(dir, 'server-key.pem'), set.server.key)
  writeFileSync(join(dir, 'ca.pem'), set.ca.cert)
  return { ...set, tls: { host: '127.0.0.1', port: 0, cert: 'server.pem', key: 'server-key.pem', ca: 'ca.pem' } }
}

/**
 * Certificate generation for the two deployment models:
 * - single pair (siptg style): one self-signed certificate that is at once the
 *   server's certificate and the only client certificate the server accepts;
 * - CA set: a private CA, a server certificate and one certificate per client.
 * Keys come from node:crypto (native, fast); node-forge builds and signs the
 * certificates. Everything is returned as PEM strings; see write.ts to store them.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { promisify } from 'node:util'
import forge from 'node-forge'
import { CertError } from './errors.js'

const generateKeyPair = promisify(generateKeyPairCb)

export type SubjectAltName =
  | { type: 'dns'; value: string }
  | { type: 'ip'; value: string }

export interface PemPair {
  cert: string
  key: string
}

export interface ValidityOptions {
  /** Days from notBefore to notAfter. Default 365. */
  days?: number
  /**
   * Start of validity; notAfter is this plus `days`. Default now, with notBefore
   * set five minutes earlier so a peer whose clock lags a little still accepts it.
   */
  notBefore?: Date
  /** RSA modulus size. Default 2048. */
  keyBits?: number
}

export interface SelfSignedOptions extends ValidityOptions {
  /** Subject and issuer CN. Default "tdbroker". */
  commonName?: string
  /** DNS names and IP addresses the certificate is valid for; none means no subjectAltName extension. */
  altNames?: readonly SubjectAltName[]
}

export interface CaSetOptions extends ValidityOptions {
  /** Default "tdbroker CA " plus 8 random hex digits. */
  caCommonName?: string
  /** Default "tdbroker". */
  serverCommonName?: string
  serverAltNames?: readonly SubjectAltName[]
  /** One client certificate per name; the name becomes its CN and part of its file names. */
  clients: readonly string[]
}

export interface ClientPair extends PemPair {
  name: string
}

export interface CaSet {
  ca: PemPair
  server: PemPair
  clients: readonly ClientPair[]
}

export const DEFAULT_COMMON_NAME = 'tdbroker'
export const DEFAULT_DAYS = 365
const DAY_MS = 86_400_000
const CLOCK_SKEW_MS = 5 * 60_000
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const DNS_NAME = /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/

/**
 * The siptg model: a self-signed certificate with serverAuth and clientAuth,
 * used as the server certificate and pinned as the only accepted client certificate.
 */
export async function generateSelfSigned (options: SelfSignedOptions = {}): Promise<PemPair> {
  const cn = checkCommonName(options.commonName ?? DEFAULT_COMMON_NAME)
  const keys = await newKeys(options.keyBits)
  const name = [{ name: 'commonName', value: cn }]
  const cert = baseCertificate(keys.publicKey, options)
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    ...altNameExtension(options.altNames),
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem }
}

/** A private CA, a server certificate signed by it and one client certificate per name. */
export async function generateCaSet (options: CaSetOptions): Promise<CaSet> {
  const clientNames = checkClientNames(options.clients)
  const caKeys = await newKeys(options.keyBits)
  // a distinct name per CA: OpenSSL finds issuers by name, and two CAs both called
  // "tdbroker CA" make a rotated-away client fail with a misleading error
  const caCn = options.caCommonName ?? `tdbroker CA ${randomBytes(4).toString('hex')}`
  const caName = [{ name: 'commonName', value: checkCommonName(caCn) }]
  const ca = baseCertificate(caKeys.publicKey, options)
  ca.setSubject(caName)
  ca.setIssuer(caName)
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  ca.sign(caKeys.privateKey, forge.md.sha256.create())
  const caKeyId = ca.generateSubjectKeyIdentifier().getBytes()

  const issue = async (cn: string, usage: 'server' | 'client', altNames?: readonly SubjectAltName[]): Promise<PemPair> => {
    const keys = await newKeys(options.keyBits)
    const cert = baseCertificate(keys.publicKey, options)
    cert.setSubject([{ name: 'commonName', value: checkCommonName(cn) }])
    cert.setIssuer(caName)
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...altNameExtension(altNames),
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
    ])
    cert.sign(caKeys.privateKey, forge.md.sha256.create())
    return { cert: forge.pki.certificateToPem(cert), key: keys.pem }
  }

  const server = await issue(options.serverCommonName ?? DEFAULT_COMMON_NAME, 'server', options.serverAltNames)
  const clients: ClientPair[] = []
  for (const name of clientNames) clients.push({ name, ...await issue(name, 'client') })
  return { ca: { cert: forge.pki.certificateToPem(ca), key: caKeys.pem }, server, clients }
}

/**
 * Parses "DNS:host,IP:1.2.3.4,IP:::1" (openssl's subjectAltName spelling; a bare
 * value is taken as an IP address if it is one, else as a DNS name).
 */
export function parseAltNames (spec: string): SubjectAltName[] {
  const out: SubjectAltName[] = []
  for (const raw of spec.split(',')) {
    const item = raw.trim()
    if (item === '') continue
    const colon = item.indexOf(':')
    const prefix = colon > 0 ? item.slice(0, colon).toUpperCase() : ''
    if (prefix === 'DNS') {
      out.push(checkAltName({ type: 'dns', value: item.slice(colon + 1) }))
    } else if (prefix === 'IP') {
      out.push(checkAltName({ type: 'ip', value: item.slice(colon + 1) }))
    } else if (isIP(item) !== 0) {
      out.push({ type: 'ip', value: item })
    } else if (colon === -1) {
      out.push(checkAltName({ type: 'dns', value: item }))
    } else {
      throw new CertError('CERT_BAD_OPTION', `subject alternative name "${item}" must start with DNS: or IP:`)
    }
  }
  return out
}

/** Checks one SAN entry: a DNS name must look like a host name, an IP must parse. */
export function checkAltName (alt: SubjectAltName): SubjectAltName {
  if (alt.type === 'ip' ? isIP(alt.value) === 0 : !DNS_NAME.test(alt.value) || alt.value.length > 253) {
    throw new CertError('CERT_BAD_OPTION', `"${alt.value}" is not a valid ${alt.type === 'ip' ? 'IP address' : 'DNS name'}`)
  }
  return alt
}

interface Keys {
  publicKey: forge.pki.rsa.PublicKey
  privateKey: forge.pki.rsa.PrivateKey
  pem: string
}

async function newKeys (bits = 2048): Promise<Keys> {
  if (!Number.isInteger(bits) || bits < 2048 || bits > 8192) {
    throw new CertError('CERT_BAD_OPTION', `RSA key size ${bits} is not between 2048 and 8192`)
  }
  const { publicKey, privateKey } = await generateKeyPair('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    pem: privateKey,
  }
}

function baseCertificate (publicKey: forge.pki.rsa.PublicKey, options: ValidityOptions): forge.pki.Certificate {
  const days = options.days ?? DEFAULT_DAYS
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw new CertError('CERT_BAD_OPTION', `validity of ${String(days)} days is not a whole number from 1 to 36500`)
  }
  const start = options.notBefore ?? new Date()
  if (Number.isNaN(start.getTime())) throw new CertError('CERT_BAD_OPTION', 'notBefore is not a valid date')
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = serialNumber()
  // backdated a little unless the caller chose the start, so "365 days" still reads 365 days left
  cert.validity.notBefore = options.notBefore ?? new Date(start.getTime() - CLOCK_SKEW_MS)
  cert.validity.notAfter = new Date(start.getTime() + days * DAY_MS)
  return cert
}

/** 128 random bits with the top bit clear, so the DER INTEGER stays positive. */
function serialNumber (): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x10
  return bytes.toString('hex')
}

function altNameExtension (altNames: readonly SubjectAltName[] | undefined): object[] {
  if (altNames === undefined || altNames.length === 0) return []
  return [{
    name: 'subjectAltName',
    altNames: altNames.map(a => {
      checkAltName(a)
      // GeneralName tags: 2 = dNSName, 7 = iPAddress
      return a.type === 'dns' ? { type: 2, value: a.value } : { type: 7, ip: a.value }
    }),
  }]
}

function checkCommonName (cn: string): string {
  if (cn.length === 0 || cn.length > 64 || /[\u0000-\u001f]/.test(cn)) {
    throw new CertError('CERT_BAD_OPTION', `common name "${cn}" must be 1 to 64 printable characters`)
  }
  return cn
}

function checkClientNames (names: readonly string[]): string[] {
  const seen = new Set<string>()
  for (const name of names) {
    if (!CLIENT_NAME.test(name)) {
      throw new CertError('CERT_BAD_OPTION',
        `client name "${name}" must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit`)
    }
    if (seen.has(name)) throw new CertError('CERT_BAD_OPTION', `client name "${name}" is given twice`)
    seen.add(name)
  }
  return [...seen]
}

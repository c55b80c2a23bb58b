/**
 * Reading certificates: what `tdbroker cert show/check` prints and what the
 * certificate store checks before it swaps a new certificate in.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { CertError, fileReadError } from './errors.js'

export interface CertificateInfo {
  /** Distinguished name in openssl's one-line order, e.g. "CN=tdbroker" or "C=DE, O=Acme, CN=x". */
  subject: string
  issuer: string
  /** e.g. ["DNS:localhost", "IP:127.0.0.1"]. */
  subjectAltNames: string[]
  /** Upper-case hex, as openssl prints it. */
  serialNumber: string
  notBefore: Date
  notAfter: Date
  /**
   * Days until notAfter, rounded up: a fresh 365-day certificate shows 365, one
   * with hours left shows 1; once expired, minus the whole days since expiry.
   */
  daysLeft: number
  expired: boolean
  /** notBefore still lies in the future. */
  notYetValid: boolean
  /** SHA-256 of the DER form as colon-separated upper-case hex (openssl x509 -fingerprint -sha256). */
  fingerprint256: string
  isCA: boolean
  /** Subject equals issuer and the certificate's own key verifies its signature. */
  selfSigned: boolean
  pem: string
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g
const DAY_MS = 86_400_000

/** Every certificate in a PEM text (a single certificate or a bundle), in order. */
export function parseCertificates (pem: string, source = 'the PEM text', now: Date = new Date()): CertificateInfo[] {
  const blocks = pem.match(PEM_CERT)
  if (blocks === null) {
    const hint = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)
      ? 'it holds a private key, not a certificate (are the cert and key paths swapped?)'
      : pem.trim() === ''
        ? 'it is empty'
        : 'no "-----BEGIN CERTIFICATE-----" block found'
    throw new CertError('CERT_NOT_A_CERTIFICATE', `${source} is not a PEM certificate: ${hint}`, { path: source })
  }
  return blocks.map((block, i) => {
    let x509: X509Certificate
    try {
      x509 = new X509Certificate(block)
    } catch (e) {
      const which = blocks.length > 1 ? `certificate #${i + 1} in ${source}` : source
      throw new CertError('CERT_INVALID', `${which} is not a valid X.509 certificate: ${(e as Error).message}`,
        { path: source, cause: e })
    }
    return describe(x509, block, now)
  })
}

/** Reads and parses a certificate file; errors name the path and what was wrong. */
export async function inspectCertificateFile (path: string, now: Date = new Date()): Promise<CertificateInfo[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw fileReadError(path, 'certificate file', e)
  }
  return parseCertificates(text, path, now)
}

/** Parses a PEM private key; `source` names it in the error. */
export function parsePrivateKey (pem: string, source = 'the key'): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    const hint = /-----BEGIN CERTIFICATE-----/.test(pem)
      ? 'it holds a certificate, not a private key (are the cert and key paths swapped?)'
      : pem.trim() === '' ? 'it is empty' : 'no "-----BEGIN ... PRIVATE KEY-----" block found'
    throw new CertError('CERT_KEY_INVALID', `${source} is not a PEM private key: ${hint}`, { path: source })
  }
  try {
    return createPrivateKey(pem)
  } catch (e) {
    const encrypted = /ENCRYPTED/.test(pem) ? ' (encrypted keys are not supported; decrypt it with openssl first)' : ''
    throw new CertError('CERT_KEY_INVALID', `${source} is not a usable private key${encrypted}: ${(e as Error).message}`,
      { path: source, cause: e })
  }
}

/** True when the certificate has expired or will within `days` days of `now`. */
export function expiresWithin (info: CertificateInfo, days: number, now: Date = new Date()): boolean {
  return info.notAfter.getTime() - now.getTime() <= days * DAY_MS
}

/** True when `key` is the private half of the certificate's public key. */
export function keyMatchesCertificate (certPem: string, key: KeyObject): boolean {
  return new X509Certificate(certPem).checkPrivateKey(key)
}

function describe (x509: X509Certificate, pem: string, now: Date): CertificateInfo {
  const notBefore = new Date(x509.validFrom)
  const notAfter = new Date(x509.validTo)
  return {
    subject: oneLineName(x509.subject),
    issuer: oneLineName(x509.issuer),
    subjectAltNames: altNames(x509.subjectAltName),
    serialNumber: x509.serialNumber.toUpperCase(),
    notBefore,
    notAfter,
    daysLeft: daysLeft(notAfter.getTime() - now.getTime()),
    expired: notAfter.getTime() <= now.getTime(),
    notYetValid: notBefore.getTime() > now.getTime(),
    fingerprint256: x509.fingerprint256,
    isCA: x509.ca,
    selfSigned: x509.subject === x509.issuer && x509.verify(x509.publicKey),
    pem,
  }
}

function daysLeft (ms: number): number {
  return Math.ceil(ms / DAY_MS) || 0 // no -0
}

// node:crypto prints names one attribute per line
function oneLineName (name: string): string {
  return name.split('\n').filter(s => s !== '').join(', ')
}

function altNames (san: string | undefined): string[] {
  if (san === undefined || san === '') return []
  return san.split(', ').map(s => s.replace(/^IP Address:/, 'IP:'))
}

/**
 * Errors of the certificate machinery. Each has a stable code so that the CLI,
 * the TLS listener and the logs can tell them apart; the message always names
 * the file involved and says what to do about it.
 */

export const CERT_ERRORS = {
  CERT_FILE_MISSING: 'the file does not exist',
  CERT_FILE_UNREADABLE: 'the file exists but could not be read',
  CERT_NOT_A_CERTIFICATE: 'the file holds no PEM certificate',
  CERT_INVALID: 'the file holds a PEM block that is not a valid X.509 certificate',
  CERT_KEY_INVALID: 'the file holds no usable PEM private key',
  CERT_KEY_MISMATCH: 'the private key does not belong to the certificate',
  CERT_EXPIRED: 'the certificate has expired',
  CERT_CA_REQUIRED: 'verify_clients needs a ca file to check client certificates against',
  CERT_FILE_EXISTS: 'refusing to overwrite an existing file',
  CERT_WRITE_FAILED: 'the file could not be written',
  CERT_BAD_OPTION: 'an option for certificate generation is not valid',
  CERT_STORE_CLOSED: 'the certificate store is closed',
} as const

export type CertErrorCode = keyof typeof CERT_ERRORS

/** A certificate problem with a stable code and, where one is involved, the file's path. */
export class CertError extends Error {
  readonly code: CertErrorCode
  readonly path: string | undefined

  constructor (code: CertErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CertError'
    this.code = code
    this.path = options?.path
  }
}

/** Turns a failed fs read into a CertError that says which file and why. */
export function fileReadError (path: string, what: string, e: unknown): CertError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') {
    return new CertError('CERT_FILE_MISSING', `${what} ${path} does not exist`, { path, cause: e })
  }
  const reason = code === 'EACCES'
    ? 'permission denied (check the file owner and mode)'
    : code === 'EISDIR'
      ? 'it is a directory, not a file'
      : e instanceof Error ? e.message : String(e)
  return new CertError('CERT_FILE_UNREADABLE', `cannot read ${what} ${path}: ${reason}`, { path, cause: e })
}

/** Certificate machinery: generation, inspection, writing, and the TLS listener's store. */
export { CERT_ERRORS, CertError, type CertErrorCode } from './errors.js'
export {
  DEFAULT_COMMON_NAME, DEFAULT_DAYS, checkAltName, generateCaSet, generateSelfSigned, parseAltNames,
  type CaSet, type CaSetOptions, type ClientPair, type PemPair, type SelfSignedOptions, type SubjectAltName,
  type ValidityOptions,
} from './generate.js'
export {
  expiresWithin, inspectCertificateFile, keyMatchesCertificate, parseCertificates, parsePrivateKey,
  type CertificateInfo,
} from './inspect.js'
export {
  CertificateStore, type CertificateStoreEvents, type CertificateStoreOptions, type LoadedCertificates,
} from './store.js'
export { caSetFiles, singlePairFiles, writePemFiles, type PemFile, type WriteOptions } from './write.js'

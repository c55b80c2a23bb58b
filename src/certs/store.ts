/**
 * The certificates of the built-in TLS listener (and of WebSocket over HTTPS).
 *
 * Rotation: `reload()` reads all three files again and builds a new context;
 * only when everything loads, matches and is in date does it replace the
 * current one, so a half-finished rotation keeps the listener on the old
 * certificate and reports why. Servers registered with `attach()` get the new
 * context through `tls.Server.setSecureContext()`: it applies to every new
 * handshake, whether or not the client sends SNI (an SNICallback would only
 * run for clients that do, and Node sends no SNI when connecting to an IP
 * address), while connections already established keep the context they were
 * made with. Each new context gets fresh session ticket keys, so a client
 * cannot resume a session made under the old CA to skip the new check.
 *
 * Reloads happen on `reload()` (the broker calls it on SIGHUP) and, unless
 * disabled, when anything changes in the folders holding the files (watching
 * folders, not files, survives editors and tools that replace a file by rename).
 *
 *   const store = await CertificateStore.open(settings.tls)   // throws CertError
 *   const server = tls.createServer(store.serverOptions(), onSecureConnection)
 *   store.attach(server)
 *   store.on('reloaded', g => ...log g.certificate.fingerprint256 and g.warnings)
 *   store.on('reloadFailed', e => ...log e.message; the old certificate stays)
 *   process.on('SIGHUP', () => { store.reload().catch(() => {}) })  // failure already emitted
 *
 * Do not pass `ticketKeys` to the server: the fresh keys above depend on it.
 * A refused client certificate surfaces as `tlsClientError` with a generic
 * ECONNRESET; the reason is in the socket's `authorizationError`
 * (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE), which is what to log.
 */
import { EventEmitter } from 'node:events'
import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import tls from 'node:tls'
import type { TlsSettings } from '../settings/types.js'
import { CertError, fileReadError } from './errors.js'
import { expiresWithin, keyMatchesCertificate, parseCertificates, parsePrivateKey, type CertificateInfo } from './inspect.js'

export interface CertificateStoreOptions {
  /** Reload when the files change. Default true. */
  watch?: boolean
  /** Quiet time after the last file event before reloading, in ms. Default 500. */
  debounceMs?: number
  /** Clock for the expiry checks. */
  now?: () => Date
}

/** One successfully loaded generation of certificate, key and CA. */
export interface LoadedCertificates {
  /** What `tls.createSecureContext()` and `Server.setSecureContext()` take. */
  contextOptions: Readonly<tls.SecureContextOptions>
  secureContext: tls.SecureContext
  /** The server (leaf) certificate: the first one in the cert file. */
  certificate: CertificateInfo
  /** Every certificate in the cert file, leaf first. */
  chain: readonly CertificateInfo[]
  /** The certificates client certificates must chain to; empty without `ca`. */
  ca: readonly CertificateInfo[]
  /** Expiry and validity problems that do not stop the listener. */
  warnings: readonly string[]
  loadedAt: Date
}

export interface CertificateStoreEvents {
  /** A new generation is in use (emitted for every successful reload, not for the first load). */
  reloaded: [LoadedCertificates]
  /** A reload failed; the previous generation stays in use. */
  reloadFailed: [CertError]
}

type State = 'open' | 'closed'

const DEFAULT_DEBOUNCE_MS = 500

export class CertificateStore extends EventEmitter<CertificateStoreEvents> {
  readonly settings: Readonly<TlsSettings>
  #state: State = 'open'
  #current: LoadedCertificates
  #raw: string
  #now: () => Date
  #debounceMs: number
  #watchers: FSWatcher[] = []
  #timer: NodeJS.Timeout | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #servers = new Set<tls.Server>()

  private constructor (settings: TlsSettings, first: Loaded, options: CertificateStoreOptions) {
    super()
    this.settings = Object.freeze({ ...settings })
    this.#current = first.loaded
    this.#raw = first.raw
    this.#now = options.now ?? (() => new Date())
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS
    if (options.watch !== false) this.#watch()
  }

  /**
   * Loads the files named in the `tls` settings; throws a CertError (missing or
   * unreadable file, key not matching, expired without allow_expired...) if the
   * listener cannot start with them.
   */
  static async open (settings: TlsSettings, options: CertificateStoreOptions = {}): Promise<CertificateStore> {
    const first = await load(settings, (options.now ?? (() => new Date()))())
    return new CertificateStore(settings, first, options)
  }

  get state (): State {
    return this.#state
  }

  get current (): LoadedCertificates {
    return this.#current
  }

  get secureContext (): tls.SecureContext {
    return this.#current.secureContext
  }

  get secureContextOptions (): tls.SecureContextOptions {
    return { ...this.#current.contextOptions }
  }

  get warnings (): readonly string[] {
    return this.#current.warnings
  }

  /** Options for `tls.createServer()` / `https.createServer()`: the context plus client verification. */
  serverOptions (): tls.TlsOptions {
    const verify = this.settings.verify_clients
    return { ...this.#current.contextOptions, requestCert: verify, rejectUnauthorized: verify }
  }

  /**
   * Keeps `server` on the current certificates: every successful reload calls
   * `server.setSecureContext()`. Returns a function that stops doing so.
   */
  attach (server: tls.Server): () => void {
    this.#assertOpen()
    this.#servers.add(server)
    return () => { this.#servers.delete(server) }
  }

  /**
   * Reads the files again and swaps the new generation in if it is good.
   * Rejects with the CertError (and emits `reloadFailed`) otherwise; the old
   * generation then stays in use. Calls are queued, never run in parallel.
   */
  async reload (): Promise<LoadedCertificates> {
    return await this.#enqueue(false) as LoadedCertificates
  }

  /** Stops watching and detaches servers. Safe to call more than once. */
  close (): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    for (const w of this.#watchers) w.close()
    this.#watchers = []
    this.#servers.clear()
  }

  #enqueue (onlyIfChanged: boolean): Promise<LoadedCertificates | undefined> {
    const run = this.#queue.then(async () => await this.#reloadNow(onlyIfChanged))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #reloadNow (onlyIfChanged: boolean): Promise<LoadedCertificates | undefined> {
    this.#assertOpen()
    let next: Loaded
    try {
      next = await load(this.settings, this.#now())
    } catch (e) {
      const err = e instanceof CertError
        ? e
        : new CertError('CERT_INVALID', `reloading certificates failed: ${(e as Error).message}`, { cause: e })
      if (this.#state === 'open') this.emit('reloadFailed', err)
      throw err
    }
    if (this.#state === 'closed') throw new CertError('CERT_STORE_CLOSED', 'the store was closed during the reload')
    if (onlyIfChanged && next.raw === this.#raw) return undefined
    this.#current = next.loaded
    this.#raw = next.raw
    for (const server of this.#servers) server.setSecureContext({ ...next.loaded.contextOptions })
    this.emit('reloaded', next.loaded)
    return next.loaded
  }

  #watch (): void {
    const s = this.settings
    const dirs = new Set([s.cert, s.key, ...(s.ca === undefined ? [] : [s.ca])].map(p => dirname(p)))
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => { this.#schedule() })
        w.on('error', e => {
          w.close()
          this.#watchers = this.#watchers.filter(x => x !== w)
          if (this.#state === 'open') {
            this.emit('reloadFailed', new CertError('CERT_FILE_UNREADABLE',
              `watching ${dir} failed (${e.message}); certificates now reload only on SIGHUP`, { path: dir, cause: e }))
          }
        })
        this.#watchers.push(w)
      } catch (e) {
        // the files loaded, so the folder exists; a watch limit (ENOSPC) is the likely cause.
        // Reported once open() has returned, so that its caller has had a chance to listen.
        const err = new CertError('CERT_FILE_UNREADABLE',
          `cannot watch ${dir} (${(e as Error).message}); certificates reload only on SIGHUP`, { path: dir, cause: e })
        setImmediate(() => { if (this.#state === 'open') this.emit('reloadFailed', err) })
      }
    }
  }

  // file events come in bursts (a rotation writes two or three files), so wait for quiet
  #schedule (): void {
    if (this.#state === 'closed') return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#enqueue(true).catch(() => { /* already reported through reloadFailed */ })
    }, this.#debounceMs)
    this.#timer.unref()
  }

  #assertOpen (): void {
    if (this.#state === 'closed') throw new CertError('CERT_STORE_CLOSED', 'the certificate store is closed')
  }
}

interface Loaded {
  loaded: LoadedCertificates
  /** The files' contents, to tell a real change from an unrelated event in the folder. */
  raw: string
}

async function load (s: TlsSettings, now: Date): Promise<Loaded> {
  if (s.verify_clients && s.ca === undefined) {
    throw new CertError('CERT_CA_REQUIRED',
      'tls.verify_clients is on but tls.ca is not set; set tls.ca to the CA (or the pinned client certificate) ' +
      'that client certificates must chain to')
  }
  const [certText, keyText, caText] = await Promise.all([
    read(s.cert, 'certificate file (tls.cert)'),
    read(s.key, 'key file (tls.key)'),
    s.ca === undefined ? undefined : read(s.ca, 'CA file (tls.ca)'),
  ])
  const chain = parseCertificates(certText, s.cert, now)
  const leaf = chain[0] as CertificateInfo
  const key = parsePrivateKey(keyText, s.key)
  if (!keyMatchesCertificate(leaf.pem, key)) {
    throw new CertError('CERT_KEY_MISMATCH',
      `the key in ${s.key} does not belong to the certificate in ${s.cert} (${leaf.subject}, ${leaf.fingerprint256}); ` +
      'replace both files together', { path: s.key })
  }
  const ca = caText === undefined ? [] : parseCertificates(caText, s.ca, now)

  const warnings: string[] = []
  if (leaf.expired) {
    const msg = `the certificate in ${s.cert} (${leaf.subject}) expired on ${leaf.notAfter.toISOString()}`
    if (!s.allow_expired) {
      throw new CertError('CERT_EXPIRED',
        `${msg}; replace it (tdbroker cert create) or set tls.allow_expired to start anyway`, { path: s.cert })
    }
    warnings.push(`${msg}; clients will refuse it (tls.allow_expired is set)`)
  }
  warnings.push(...validityWarnings(chain, s.cert, s.expiry_warning_days, now, leaf))
  warnings.push(...validityWarnings(ca, s.ca ?? '', s.expiry_warning_days, now))

  const contextOptions: tls.SecureContextOptions = {
    cert: certText,
    key: keyText,
    ...(caText === undefined ? {} : { ca: caText }),
    minVersion: 'TLSv1.2',
  }
  let secureContext: tls.SecureContext
  try {
    secureContext = tls.createSecureContext(contextOptions)
  } catch (e) {
    throw new CertError('CERT_INVALID',
      `OpenSSL refused ${s.cert} / ${s.key}${s.ca === undefined ? '' : ` / ${s.ca}`}: ${(e as Error).message}`,
      { path: s.cert, cause: e })
  }
  return {
    loaded: Object.freeze({
      contextOptions: Object.freeze(contextOptions),
      secureContext,
      certificate: leaf,
      chain: Object.freeze(chain),
      ca: Object.freeze(ca),
      warnings: Object.freeze(warnings),
      loadedAt: now,
    }),
    raw: JSON.stringify([certText, keyText, caText]),
  }
}

async function read (path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw fileReadError(path, what, e)
  }
}

/** Expired (other than the leaf, handled above), not yet valid, or expiring within `days`. */
function validityWarnings (
  certs: readonly CertificateInfo[], path: string, days: number, now: Date, skip?: CertificateInfo,
): string[] {
  const out: string[] = []
  for (const c of certs) {
    const where = `${c.isCA ? 'CA certificate' : 'certificate'} ${c.subject} in ${path}`
    if (c.notYetValid) out.push(`${where} is not valid before ${c.notBefore.toISOString()}`)
    if (c === skip && c.expired) continue
    if (c.expired) {
      out.push(`${where} expired on ${c.notAfter.toISOString()}` +
        (c.isCA ? '; certificates it signed are refused' : ''))
    } else if (expiresWithin(c, days, now)) {
      out.push(`${where} expires on ${c.notAfter.toISOString()} (${c.daysLeft} days left)`)
    }
  }
  return out
}

/**
 * The admin HTTP listener (settings `admin`): /metrics for Prometheus,
 * /healthz and /readyz for probes, the status page for a person. Read-only;
 * with admin.token every request needs "Authorization: Bearer <token>",
 * except the status page's shell, which carries no data (its script sends
 * the token on /status.json). Loopback by default; HTTPS with admin.tls.
 */
import { timingSafeEqual, createHash } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../log/logger.js'
import type { AdminSettings } from '../settings/types.js'
import type { BrokerMetrics } from '../metrics/broker-metrics.js'
import type { CertificateStore } from '../certs/store.js'
import { VERSION } from '../version.js'
import { readiness, type ReadinessSource } from './readiness.js'
import { statusDocument, type StatusSource } from './status-data.js'
import { STATUS_PAGE, STATUS_PAGE_CSP } from './status-page.js'

export interface AdminSource extends ReadinessSource {
  readonly metrics: BrokerMetrics
  readonly startedAt: number
  readonly status: StatusSource
  /** The tls section's certificates, for admin.tls (undefined without a tls section). */
  certificates(): CertificateStore | undefined
}

/** Headers of every answer: nothing may frame, sniff or cache it. */
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Whether the request carries the token (compared in constant time). */
function authorized (req: http.IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true
  const header = req.headers.authorization ?? ''
  const given = header.startsWith('Bearer ') ? header.slice(7) : ''
  return timingSafeEqual(digest(given), digest(token))
}

function json (res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" })
  res.end(JSON.stringify(body) + '\n')
}

/** Creates (not yet listening) the admin server: HTTPS on the tls section's certificates with admin.tls. */
export function createAdminServer (settings: AdminSettings, source: AdminSource, log: Logger): http.Server | https.Server {
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((e: Error) => {
      log.error({ err: e.message, path: req.url }, 'admin request failed')
      if (!res.headersSent) json(res, 500, { error: 'internal error' })
      else res.destroy()
    })
  }
  const server = settings.tls ? httpsServer(source.certificates(), listener) : http.createServer(listener)
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    if ((path === '/' || path === '/status') && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STATUS_PAGE_CSP, 'x-frame-options': 'DENY' })
      res.end(req.method === 'HEAD' ? undefined : STATUS_PAGE)
      return
    }
    if (!authorized(req, settings.token)) {
      res.setHeader('www-authenticate', 'Bearer')
      json(res, 401, { error: 'this admin listener needs "Authorization: Bearer <admin.token>"' })
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: `${req.method ?? '?'} is not allowed: the admin listener is read-only (GET)` })
      return
    }
    if (path === '/metrics') {
      const text = await source.metrics.text()
      res.writeHead(200, { 'content-type': source.metrics.contentType })
      res.end(text)
    } else if (path === '/healthz') {
      json(res, 200, { status: 'alive', broker: source.state, uptime_seconds: Math.round((Date.now() - source.startedAt) / 1000) })
    } else if (path === '/readyz') {
      const r = await readiness(source)
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks })
    } else if (path === '/status.json') {
      json(res, 200, statusDocument(source.status, VERSION))
    } else {
      json(res, 404, { error: `no such path ${path ?? ''}: try /metrics, /healthz, /readyz, /status.json or / (the status page)` })
    }
  }
  // Probes and scrapes are short; a client that holds a socket open gets cut.
  server.requestTimeout = 10_000
  server.headersTimeout = 5_000
  return server
}

/**
 * HTTPS on the certificate and key of the tls section, kept current on reload
 * (SIGHUP). No client certificate is asked for even with tls.verify_clients:
 * a browser opening the status page has none; admin.token is the access control.
 */
function httpsServer (store: CertificateStore | undefined, listener: http.RequestListener): https.Server {
  if (store === undefined) throw new Error('admin.tls needs the tls section (certificate and key)')
  const server = https.createServer({ ...store.serverOptions(), requestCert: false, rejectUnauthorized: false }, listener)
  store.attach(server)
  return server
}

export type AdminAddress = AddressInfo

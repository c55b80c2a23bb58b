/**
 * The admin HTTP listener (settings `admin`): /metrics for Prometheus,
 * /healthz and /readyz for probes. Read-only; with admin.token every request
 * needs "Authorization: Bearer <token>". Loopback by default.
 */
import { timingSafeEqual, createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../log/logger.js'
import type { AdminSettings } from '../settings/types.js'
import type { BrokerMetrics } from '../metrics/broker-metrics.js'
import { readiness, type ReadinessSource } from './readiness.js'

export interface AdminSource extends ReadinessSource {
  readonly metrics: BrokerMetrics
  readonly startedAt: number
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Whether the request carries the token (compared in constant time). */
function authorized (req: http.IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true
  const header = req.headers.authorization ?? ''
  const given = header.startsWith('Bearer ') ? header.slice(7) : ''
  return timingSafeEqual(digest(given), digest(token))
}

function json (res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body) + '\n')
}

/** Creates (not yet listening) the admin server. */
export function createAdminServer (settings: AdminSettings, source: AdminSource, log: Logger): http.Server {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log.error({ err: e.message, path: req.url }, 'admin request failed')
      if (!res.headersSent) json(res, 500, { error: 'internal error' })
      else res.destroy()
    })
  })
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (!authorized(req, settings.token)) {
      res.setHeader('www-authenticate', 'Bearer')
      json(res, 401, { error: 'this admin listener needs "Authorization: Bearer <admin.token>"' })
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: `${req.method ?? '?'} is not allowed: the admin listener is read-only (GET)` })
      return
    }
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/metrics') {
      const text = await source.metrics.text()
      res.writeHead(200, { 'content-type': source.metrics.contentType })
      res.end(text)
    } else if (path === '/healthz') {
      json(res, 200, { status: 'alive', broker: source.state, uptime_seconds: Math.round((Date.now() - source.startedAt) / 1000) })
    } else if (path === '/readyz') {
      const r = await readiness(source)
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks })
    } else {
      json(res, 404, { error: `no such path ${path ?? ''}: try /metrics, /healthz or /readyz` })
    }
  }
  // Probes and scrapes are short; a client that holds a socket open gets cut.
  server.requestTimeout = 10_000
  server.headersTimeout = 5_000
  return server
}

export type AdminAddress = AddressInfo

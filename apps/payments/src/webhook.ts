/**
 * The backend's webhook: node:http with grammY's own webhookCallback, which
 * checks the secret token the gateway sends (X-Telegram-Bot-Api-Secret-Token).
 * Only the configured path is served.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { webhookCallback, type Bot } from 'grammy'

export interface WebhookServer { port: number, close(): Promise<void> }

export async function listenWebhook (bot: Bot, options: { host: string, port: number, path: string, secret: string }): Promise<WebhookServer> {
  const handle = webhookCallback(bot, 'http', { secretToken: options.secret })
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== options.path) { res.writeHead(404).end(); return }
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500).end() })
  })
  // The gateway delivers one update at a time per consumer, so a few connections are plenty.
  server.maxConnections = 64
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(options.port, options.host, resolve) })
  let closing: Promise<void> | undefined
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      closing ??= new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeIdleConnections() })
      await closing
    }
  }
}

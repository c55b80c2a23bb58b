/**
 * The container health check (docker-compose.yml, Dockerfile):
 * `node dist/src/admin/health-probe.js SETTINGS`. With an `admin` section it
 * asks /readyz (HTTPS pinned to the tls section's certificate with
 * admin.tls, the bearer token with admin.token) and passes only on 200; a
 * settings file without `admin` falls back to `tdbroker status` (the broker
 * answers). Prints why; exit 0 healthy, 1 not, 64 for a usage error.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { fileURLToPath } from 'node:url'
import { loadSettings } from '../settings/load.js'
import type { Settings } from '../settings/types.js'

const TIMEOUT_MS = 5000

/** GETs /readyz of the admin listener `settings.admin` describes. */
export async function probeReadyz (settings: Settings): Promise<{ ok: boolean, detail: string }> {
  const admin = settings.admin
  if (admin === undefined) throw new Error('the settings have no admin section')
  const host = admin.host === '0.0.0.0' || admin.host === '::' ? 'localhost' : admin.host
  const headers = admin.token === undefined ? {} : { authorization: `Bearer ${admin.token}` }
  return await new Promise(resolve => {
    const done = (res: http.IncomingMessage): void => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { if (body.length < 65536) body += c })
      res.on('end', () => { resolve({ ok: res.statusCode === 200, detail: `/readyz answered ${res.statusCode ?? '?'}: ${body.trim()}` }) })
    }
    const options = { host, port: admin.port, path: '/readyz', headers, timeout: TIMEOUT_MS }
    const req = admin.tls && settings.tls !== undefined
      ? https.get({ ...options, ca: readFileSync(settings.tls.cert, 'utf8'), servername: 'localhost' }, done)
      : http.get(options, done)
    req.on('timeout', () => { req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)) })
    req.on('error', e => { resolve({ ok: false, detail: `/readyz on ${host}:${admin.port}: ${e.message}` }) })
  })
}

async function main (args: string[]): Promise<number> {
  const file = args[0]
  if (file === undefined || args.length > 1) {
    process.stderr.write('usage: node dist/src/admin/health-probe.js SETTINGS_FILE\n')
    return 64
  }
  let settings: Settings
  try {
    settings = loadSettings(file)
  } catch (e) {
    process.stderr.write(`health probe: ${(e as Error).message}\n`)
    return 1
  }
  if (settings.admin !== undefined) {
    const r = await probeReadyz(settings)
    process.stdout.write(r.detail + '\n')
    return r.ok ? 0 : 1
  }
  // No admin listener: "the broker answers" is the best there is.
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url))
  return await new Promise(resolve => {
    execFile(process.execPath, [cli, 'status', '--settings', file], { timeout: 2 * TIMEOUT_MS }, (e, stdout, stderr) => {
      process.stdout.write(stdout)
      process.stderr.write(stderr)
      resolve(e === null ? 0 : 1)
    })
  })
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code }, (e: unknown) => {
    process.stderr.write(`health probe failed: ${String(e)}\n`)
    process.exitCode = 1
  })
}

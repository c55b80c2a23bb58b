/**
 * `tdbroker status`: asks a running broker for broker.getStatus over its
 * plain listener and prints the answer; exit 0 when it answers, 1 when not.
 * Used by the Docker healthcheck.
 */
import net from 'node:net'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadSettings } from '../settings/load.js'
import { EMBEDDED_PORT } from '../settings/embedded.js'
import { parseArgs, portOption, UsageError } from './args.js'
import { DEFAULT_SETTINGS_FILE } from './start.js'

const TIMEOUT_MS = 5000

export async function runStatus (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let host = 'localhost'
  let port = EMBEDDED_PORT
  try {
    const { options, positional } = parseArgs(args, { settings: true, host: true, port: true })
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0] ?? ''}"`)
    const file = options.get('settings')
    const settingsFile = typeof file === 'string' ? file : existsSync(DEFAULT_SETTINGS_FILE) ? DEFAULT_SETTINGS_FILE : undefined
    if (settingsFile !== undefined) {
      const settings = loadSettings(resolve(settingsFile))
      host = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host
      port = settings.port
    }
    const h = options.get('host')
    if (typeof h === 'string') host = h
    port = portOption(options.get('port')) ?? port
    if (port === 0) throw new UsageError('the settings use a random port (0); pass --port')
  } catch (e) {
    err(`tdbroker status: ${e instanceof Error ? e.message : String(e)}`)
    return e instanceof UsageError ? 64 : 1
  }
  try {
    const status = await ask(host, port)
    for (const [key, value] of Object.entries(status)) {
      if (key !== '@type' && key !== '@extra') out(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    }
    return 0
  } catch (e) {
    err(`tdbroker status: no answer from ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  }
}

async function ask (host: string, port: number): Promise<Record<string, unknown>> {
  return await new Promise((resolve, reject) => {
    const socket = net.connect(port, host)
    let buffer = ''
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`timed out after ${TIMEOUT_MS / 1000} s`)) }, TIMEOUT_MS)
    socket.on('connect', () => { socket.write('{"@type":"broker.getStatus","@extra":"status"}\n') })
    socket.on('data', chunk => {
      buffer += chunk.toString('utf8')
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        const msg = JSON.parse(line) as Record<string, unknown>
        if (msg['@extra'] !== 'status') continue
        clearTimeout(timer)
        socket.end()
        // With a clients list the broker wants authentication first: it is
        // alive and answering, which is all a health check needs to know.
        if (msg['@type'] === 'error' && String(msg.message).startsWith('AUTH_REQUIRED')) resolve({ status: 'answering (details need broker.authenticate: this broker has a clients list)' })
        else if (msg['@type'] === 'error') reject(new Error(String(msg.message)))
        else resolve(msg)
      }
    })
    socket.on('error', e => { clearTimeout(timer); reject(e) })
  })
}

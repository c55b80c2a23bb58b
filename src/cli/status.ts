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
import { ADDRESS_OPTIONS, runCommand, portOption, SETTINGS_OPTION, stringOption, UsageError, type CommandSpec } from './args.js'
import { DEFAULT_SETTINGS_FILE } from './start.js'

const TIMEOUT_MS = 5000

export const STATUS: CommandSpec = {
  usage: `usage: tdbroker status [--settings FILE] [--host HOST] [--port PORT]
  ask a running broker for broker.getStatus on its plain listener and print it;
  exit 0 when it answers (the Docker health check), 1 when not. The address comes
  from --settings (default storage/settings.json, else localhost:23456), or --host/--port`,
  options: { ...SETTINGS_OPTION, ...ADDRESS_OPTIONS },
  positionals: [0, 0]
}

export async function runStatus (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return await runCommand('status', STATUS, args, out, err, async ({ values }) => {
    let host = 'localhost'
    let port = EMBEDDED_PORT
    const file = stringOption(values, 'settings')
    const settingsFile = file ?? (existsSync(DEFAULT_SETTINGS_FILE) ? DEFAULT_SETTINGS_FILE : undefined)
    if (settingsFile !== undefined) {
      const settings = loadSettings(resolve(settingsFile))
      host = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host
      port = settings.port
    }
    host = stringOption(values, 'host') ?? host
    port = portOption(stringOption(values, 'port')) ?? port
    if (port === 0) throw new UsageError('the settings use a random port (0); pass --port')
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
  })
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

/**
 * Starts a broker in a child process with its own temporary folder (sessions,
 * log, certificates), and removes everything again on stop.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateSelfSigned } from '../../src/certs/generate.js'
import { benchBrokerSettings } from './broker-setup.js'
import { Child } from './child.js'
import type { ProcessMemory } from './ipc.js'
import { profileFlags } from './options.js'
import { removeFolder, tempFolder } from './temp.js'

export interface BrokerProcessOptions {
  /** settings.json content; tdlib.path, logfile, host and port are filled in (benchBrokerSettings). */
  settings?: Record<string, unknown>
  /** Also listen with TLS (siptg's pinned self-signed pair) and WebSocket (plain, loopback). */
  secure?: boolean
  /** Label for the CPU profile file name when BENCH_PROFILE is set. */
  label: string
}

export interface BrokerProcess {
  readonly child: Child
  readonly dir: string
  readonly ports: { tcp: number, tls?: number, websocket?: number }
  readonly tdlib: string
  /** The TLS client certificate and key (also the pinned CA), when secure. */
  readonly pair?: { cert: string, key: string }
  memory(): Promise<ProcessMemory>
  stop(): Promise<void>
}

export async function startBrokerProcess (options: BrokerProcessOptions): Promise<BrokerProcess> {
  const dir = tempFolder()
  const settings = benchBrokerSettings(options.settings)
  let pair: { cert: string, key: string } | undefined
  if (options.secure === true) {
    pair = await generateSelfSigned({ altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }] })
    writeFileSync(join(dir, 'cert.pem'), pair.cert)
    writeFileSync(join(dir, 'key.pem'), pair.key)
    settings.tls = { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' }
    settings.websocket = { host: '127.0.0.1', port: 0 }
  }
  const child = new Child(`broker (${options.label})`, new URL('../child/broker.js', import.meta.url), { execArgv: profileFlags(`broker-${options.label}`) })
  try {
    const started = await child.call<{ tcp: number, tls?: number, websocket?: number, tdlib: string }>('start', { settings, dir })
    return {
      child, dir, ports: started, tdlib: started.tdlib,
      ...(pair !== undefined ? { pair } : {}),
      memory: async () => await child.call('memory'),
      async stop () {
        await child.stop()
        removeFolder(dir)
      }
    }
  } catch (e) {
    await child.stop()
    removeFolder(dir)
    throw e
  }
}

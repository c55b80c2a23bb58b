/**
 * `tdbroker drain NODE [--settings FILE]`: moves every session of a cluster
 * node to the other nodes before maintenance (docs/cluster.md). The settings
 * file is any node's (it needs the `cluster` section: servers and prefix).
 * Exit 0 once the node has let every session go, 1 when it could not, 64 on
 * a usage error.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadSettings } from '../settings/load.js'
import { DEFAULT_SETTINGS_FILE } from './start.js'

const USAGE = 'usage: tdbroker drain NODE [--settings FILE]'

export async function runDrain (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let file: string | undefined
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--help') { out(USAGE); return 0 }
    if (arg === '--settings') file = args[++i]
    else if (arg.startsWith('--settings=')) file = arg.slice('--settings='.length)
    else if (arg.startsWith('--')) { err(`tdbroker drain: unknown option ${arg}\n${USAGE}`); return 64 }
    else positional.push(arg)
  }
  const node = positional[0]
  if (positional.length !== 1 || node === undefined || (file === undefined && args.includes('--settings'))) { err(USAGE); return 64 }
  const settingsFile = file ?? (existsSync(DEFAULT_SETTINGS_FILE) ? DEFAULT_SETTINGS_FILE : undefined)
  if (settingsFile === undefined) { err(`tdbroker drain: no settings file (pass --settings FILE, one with a cluster section)\n${USAGE}`); return 64 }
  try {
    const settings = loadSettings(resolve(settingsFile))
    if (settings.cluster === undefined) { err(`tdbroker drain: ${settingsFile} has no cluster section`); return 64 }
    const { requestDrain } = await import('../cluster/drain-request.js')
    const result = await requestDrain(settings.cluster, node)
    out(`node ${result.node} drained: ${result.moved.length} session${result.moved.length === 1 ? '' : 's'} moved${result.moved.length === 0 ? '' : ` (${result.moved.join(', ')})`}`)
    return 0
  } catch (e) {
    err(`tdbroker drain: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  }
}

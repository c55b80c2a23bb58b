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
import { runCommand, SETTINGS_OPTION, stringOption, UsageError, type CommandSpec } from './args.js'
import { DEFAULT_SETTINGS_FILE } from './start.js'

export const DRAIN: CommandSpec = {
  usage: `usage: tdbroker drain NODE [--settings FILE]
  move every session of cluster node NODE to the other nodes before maintenance
  (docs/cluster.md); the settings are any node's (they need the cluster section)`,
  options: { ...SETTINGS_OPTION },
  positionals: [1, 1],
  missing: 'missing NODE argument'
}

export async function runDrain (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return await runCommand('drain', DRAIN, args, out, err, async ({ values, positionals }) => {
    const node = positionals[0]!
    const settingsFile = stringOption(values, 'settings') ?? (existsSync(DEFAULT_SETTINGS_FILE) ? DEFAULT_SETTINGS_FILE : undefined)
    if (settingsFile === undefined) throw new UsageError('no settings file (pass --settings FILE, one with a cluster section)')
    const settings = loadSettings(resolve(settingsFile))
    if (settings.cluster === undefined) throw new UsageError(`${settingsFile} has no cluster section`)
    const { requestDrain } = await import('../cluster/drain-request.js')
    const result = await requestDrain(settings.cluster, node)
    out(`node ${result.node} drained: ${result.moved.length} session${result.moved.length === 1 ? '' : 's'} moved${result.moved.length === 0 ? '' : ` (${result.moved.join(', ')})`}`)
    return 0
  })
}

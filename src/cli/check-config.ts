/**
 * `tdbroker check-config [file]`: loads a settings file the way `start` would
 * and reports what the broker would run with, without starting anything.
 */
import { loadSettings, SettingsError } from '../settings/load.js'
import { maskSecrets } from '../settings/mask.js'
import { settingsWarnings } from '../settings/warnings.js'
import type { CommandSpec } from './args.js'

export const CHECK_CONFIG: CommandSpec = {
  usage: `usage: tdbroker check-config FILE
  validate a settings file and print the effective settings, secrets masked;
  exit 0 when it is valid, 1 with every problem when not`,
  options: {},
  positionals: [1, 1],
  missing: 'missing FILE argument'
}

/**
 * Checks `file` and writes the verdict through `out`, one line per call:
 * "settings OK", the warnings and the effective settings (secrets masked), or
 * "settings invalid" and every problem. Returns the exit code, 0 or 1.
 */
export async function checkConfig (file: string, out: (line: string) => void): Promise<number> {
  let settings
  try {
    settings = loadSettings(file)
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err
    out(`settings invalid: ${file}`)
    for (const problem of err.problems) out(problem)
    return 1
  }
  out(`settings OK: ${file}`)
  for (const warning of settingsWarnings(settings)) out(`warning: ${warning}`)
  for (const line of JSON.stringify(maskSecrets(settings), null, 2).split('\n')) out(line)
  return 0
}

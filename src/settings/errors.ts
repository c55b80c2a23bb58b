/**
 * The one error settings loading throws. Its message lists every problem, so
 * an operator fixes the whole file in one pass instead of one restart per typo.
 */

/**
 * Why the settings could not be used, as a stable code:
 * - SETTINGS_NOT_FOUND: there is no file at that path
 * - SETTINGS_UNREADABLE: the file exists but could not be read
 * - SETTINGS_INVALID_JSON: the file is not JSON
 * - SETTINGS_INVALID: the JSON does not satisfy the schema
 */
export type SettingsErrorCode =
  | 'SETTINGS_NOT_FOUND'
  | 'SETTINGS_UNREADABLE'
  | 'SETTINGS_INVALID_JSON'
  | 'SETTINGS_INVALID'

/** Thrown by loadSettings and settingsFromObject; `problems` holds one line per problem. */
export class SettingsError extends Error {
  readonly code: SettingsErrorCode
  /** Absolute path of the settings file, when there is one. */
  readonly file: string | undefined
  /** Each problem as "<JSON path>: <what was expected>", or a sentence about the file itself. */
  readonly problems: readonly string[]

  constructor (code: SettingsErrorCode, file: string | undefined, problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    super(`${file ?? 'settings'}: ${count}\n${problems.map(p => `  ${p}`).join('\n')}`)
    this.name = 'SettingsError'
    this.code = code
    this.file = file
    this.problems = Object.freeze([...problems])
  }
}

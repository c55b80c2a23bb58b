/**
 * Every option the schema accepts, as a flat list: what docs/settings.md and
 * the README are checked against, so neither can drift from the schema.
 */
import { settingsSchema } from './schema.js'

/** One option of settings.json. */
export interface SettingsOption {
  /** Slash-separated, as in the docs and in error messages: "tdlib/proxy/port". */
  path: string
  /** The schema default; absent when the option has none. */
  default?: unknown
  /** True for a section (an object with options of its own). */
  section: boolean
}

/** Every option, sections included, in the schema's order. */
export function settingsOptions (): SettingsOption[] {
  const options: SettingsOption[] = []
  const walk = (schema: Record<string, any>, prefix: string) => {
    // tdlib/proxy spreads its options over one branch per proxy type.
    const branches = [schema, ...(schema.oneOf ?? [])] as Array<Record<string, any>>
    for (const branch of branches) {
      for (const [name, sub] of Object.entries<Record<string, any>>(branch.properties ?? {})) {
        const path = prefix + name
        if (options.some(o => o.path === path)) continue
        const section = sub.properties !== undefined || sub.oneOf !== undefined
        options.push({ path, section, ...('default' in sub ? { default: sub.default } : {}) })
        if (section) walk(sub, `${path}/`)
      }
    }
  }
  walk(settingsSchema, '')
  return options
}

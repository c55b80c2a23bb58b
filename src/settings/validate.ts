/**
 * Compiles the settings schema once and checks a parsed settings object
 * against it, filling in defaults as it goes.
 */
import { Ajv } from 'ajv'
import { settingsSchema } from './schema.js'
import { explainErrors } from './explain.js'

const ajv = new Ajv({
  allErrors: true, // report every problem in one run, not one per restart
  useDefaults: true,
  verbose: true, // explain.ts builds its sentences from the failing schema and value
  discriminator: true, // tdlib/proxy: check only the shape its `type` selects
  strict: true,
  strictRequired: false, // conditional `required` in if/then names keys declared beside it
})
ajv.addKeyword({ keyword: 'x-rule', schemaType: 'string' })

const validate = ajv.compile(settingsSchema)

/**
 * Checks `data` (a JSON object) against the schema and writes the defaults
 * into it, in place. Returns every problem as a plain sentence; empty when
 * the settings are valid.
 */
export function validateSettings (data: unknown): string[] {
  if (validate(data)) return []
  return explainErrors(validate.errors ?? [])
}

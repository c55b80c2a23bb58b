/** Secret settings given inline, by environment variable or by file: resolved once, masked when printed. */
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { settingsFromObject, SettingsError } from '../../src/settings/load.js'
import { maskSecrets, SECRET_MASK } from '../../src/settings/mask.js'

const KEY = 'k3y-0f-at-least-sixteen-characters'

t.test('tdlib/database_encryption_key: inline, from the environment, from a file relative to the settings', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-secret-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'db.key'), `${KEY}-file\n`)
  process.env.TDBROKER_TEST_DB_KEY = `${KEY}-env`
  t.teardown(() => { delete process.env.TDBROKER_TEST_DB_KEY })

  t.equal(settingsFromObject({ tdlib: { database_encryption_key: KEY } }, dir).tdlib.database_encryption_key, KEY)
  t.equal(settingsFromObject({ tdlib: { database_encryption_key: { env: 'TDBROKER_TEST_DB_KEY' } } }, dir).tdlib.database_encryption_key, `${KEY}-env`)
  const fromFile = settingsFromObject({ tdlib: { database_encryption_key: { file: 'db.key' }, previous_database_encryption_key: KEY } }, dir)
  t.equal(fromFile.tdlib.database_encryption_key, `${KEY}-file`, 'the trailing line break of the file is dropped')
  t.equal(fromFile.tdlib.previous_database_encryption_key, KEY)
  t.equal(settingsFromObject({}, dir).tdlib.database_encryption_key, undefined, 'no key unless set')

  const masked = maskSecrets(fromFile) as any
  t.equal(masked.tdlib.database_encryption_key, SECRET_MASK)
  t.equal(masked.tdlib.previous_database_encryption_key, SECRET_MASK)
  t.notOk(JSON.stringify(masked).includes(KEY), 'neither key shows when printed')
})

t.test('a key that cannot be had, or is too short, is a settings error that says which and why', async t => {
  const problems = (tdlib: Record<string, unknown>): readonly string[] => {
    try {
      settingsFromObject({ tdlib }, '/nonexistent-dir')
    } catch (e) {
      if (e instanceof SettingsError) return e.problems
      throw e
    }
    return []
  }
  delete process.env.TDBROKER_TEST_UNSET
  t.match(problems({ database_encryption_key: { env: 'TDBROKER_TEST_UNSET' } }), [/^\/tdlib\/database_encryption_key: the environment variable TDBROKER_TEST_UNSET is not set/])
  t.match(problems({ previous_database_encryption_key: { file: 'missing.key' } }), [/^\/tdlib\/previous_database_encryption_key: the key file \/nonexistent-dir\/missing.key cannot be read \(ENOENT\)/])
  t.match(problems({ database_encryption_key: 'short' }), [/at least 16 characters/])
  t.match(problems({ database_encryption_key: { env: 'X', file: 'y' } }), [/^\/tdlib\/database_encryption_key: /])
  t.match(problems({ database_encryption_key: 42 }), [/^\/tdlib\/database_encryption_key: /])
  t.notOk(problems({ database_encryption_key: 'short' }).join('\n').includes('short'), 'the bad value itself is not echoed')
})

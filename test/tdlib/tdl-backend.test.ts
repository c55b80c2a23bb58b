/**
 * The real backend on real TDLib: objects cross the seam in TDLib's form
 * (`@type` at every depth, never tdl's `_`), including on the path that hands
 * TDLib's parsed object through without tdl's renaming.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTdlBackend, skipRenaming } from '../../src/tdlib/tdl-backend.js'
import * as tdl from 'tdl'
import type { TdObject } from '../../src/tdlib/backend.js'

/** Every key named `_` anywhere in a value. */
function underscoreKeys (v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => underscoreKeys(x, `${path}[${i}]`))
  if (v === null || typeof v !== 'object') return []
  return Object.entries(v).flatMap(([k, x]) => [...(k === '_' ? [path + '._'] : []), ...underscoreKeys(x, `${path}.${k}`)])
}

t.test('answers and updates keep @type at every depth', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-tdl-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const backend = createTdlBackend({ verbosity: 0 })
  const updates: TdObject[] = []
  let closed = false
  const client = backend.createClient({ sessionId: '1', directory: dir }, { onUpdate: u => updates.push(u), onClosed: () => { closed = true } })

  const parsed = await client.invoke({ '@type': 'parseTextEntities', text: '*bold* and _italic_', parse_mode: { '@type': 'textParseModeMarkdown', version: 2 } })
  t.equal(parsed['@type'], 'formattedText')
  const entities = parsed.entities as TdObject[]
  t.same(entities.map(e => (e.type as TdObject)['@type']), ['textEntityTypeBold', 'textEntityTypeItalic'], 'nested objects carry @type')
  t.same(underscoreKeys(parsed), [], 'and no `_` anywhere')

  const error = await client.invoke({ '@type': 'testReturnError', error: { '@type': 'error', code: 418, message: 'TEAPOT' } })
  t.same(error, { '@type': 'error', code: 418, message: 'TEAPOT' }, 'TDLib errors come back as error objects')

  const params = await client.invoke({ '@type': 'setTdlibParameters', database_directory: dir, files_directory: dir, api_id: 94575, api_hash: 'test', system_language_code: 'en', device_model: 'test', application_version: '1', use_message_database: false })
  t.equal(params['@type'], 'ok')
  const passThrough = (u: TdObject): boolean => !['updateOption', 'updateAuthorizationState', 'updateConnectionState'].includes(u['@type'])
  for (let i = 0; i < 200 && !updates.some(passThrough); i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.ok(updates.some(u => u['@type'] === 'updateAuthorizationState'), 'updates tdl reads itself arrive')
  t.ok(updates.some(passThrough), 'updates on the pass-through path arrive')
  t.same(updates.flatMap(u => underscoreKeys(u)), [], 'no update has a `_` key')
  await client.close()
  t.ok(closed, 'close reports the client closed')
})

t.test('the pass-through hook is installed on this tdl version', async t => {
  const handle = tdl.createBareClient()
  const before = (handle as unknown as { handleReceive: unknown }).handleReceive
  skipRenaming(handle)
  t.not((handle as unknown as { handleReceive: unknown }).handleReceive, before, 'tdl still has the internals the backend hooks (if this fails after a tdl upgrade, the backend falls back to renaming: check the cost in bench)')
  await handle.close()
})

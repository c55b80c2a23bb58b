import t from 'tap'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { settingsOptions } from '../../src/settings/options.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { repoRoot } from './fixtures/helpers.js'

/** The rows of the options table in docs/settings.md: option path -> cells. */
function documentedOptions (): Map<string, { type: string, default: string, origin: string }> {
  const text = readFileSync(join(repoRoot, 'docs/settings.md'), 'utf8')
  const rows = new Map<string, { type: string, default: string, origin: string }>()
  for (const line of text.split('\n')) {
    const m = /^\| `([\w/]+)` \| (.*?) \| (.*?) \| (.*?) \| .* \|$/.exec(line)
    if (m) rows.set(m[1]!, { type: m[2]!, default: m[3]!, origin: m[4]! })
  }
  return rows
}

t.test('docs/settings.md has one row for every option, and no row for anything else', async t => {
  const documented = [...documentedOptions().keys()]
  const options = settingsOptions().map(o => o.path)
  t.same(documented, options, 'the same options, in the same order')
})

t.test('docs/settings.md states every default as the schema has it', async t => {
  const rows = documentedOptions()
  for (const option of settingsOptions()) {
    const row = rows.get(option.path)
    if (row === undefined) continue // reported by the test above
    if ('default' in option) {
      t.equal(row.default, `\`${JSON.stringify(option.default)}\``, `${option.path} default`)
    } else {
      t.match(row.default, /^\*(not set|required)\*/, `${option.path} claims no default`)
    }
  }
})

t.test('docs/settings.md marks tdbroker additions apart from siptg options', async t => {
  const ours = [...documentedOptions()].filter(([, row]) => row.origin === '**tdbroker**').map(([path]) => path)
  t.same(ours, [
    'tdlib/backend', 'tdlib/sandbox_world', 'tdlib/database_encryption_key', 'tdlib/previous_database_encryption_key',
    'mysql/backup_interval',
    ...settingsOptions().map(o => o.path).filter(p => /^cluster(\/|$)/.test(p)),
    'max_frame_size', 'max_client_queue', 'max_pending_requests', 'allow_public_plain', 'resolve_cache_ttl',
    ...settingsOptions().map(o => o.path).filter(p => /^(tls|websocket)(\/|$)/.test(p)),
    'clients', 'update_buffer_size', 'update_buffer_age', 'audit_file',
    'local_files', 'max_upload_size', 'max_upload_file_size', 'max_read_size',
    'auth_timeout', 'max_frame_size_unauthenticated', 'max_connections', 'max_connections_per_address', 'idle_timeout',
    'proxy_protocol', 'proxy_protocol_trusted',
    'bot_api', 'bot_api/host', 'bot_api/port', 'bot_api/tls', 'bot_api/max_queue', 'bot_api/max_upload_size', 'bot_api/consumers',
    ...settingsOptions().map(o => o.path).filter(p => /^admin(\/|$)/.test(p)), 'flood_wait_guard',
  ])
  const others = [...documentedOptions().values()].filter(row => row.origin !== '**tdbroker**')
  t.ok(others.every(row => row.origin === 'siptg'), 'every other row is marked siptg')
})

t.test('the section examples in docs/settings.md are valid settings', async t => {
  const text = readFileSync(join(repoRoot, 'docs/settings.md'), 'utf8')
  const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map(m => m[1]!)
  t.ok(blocks.length >= 3, 'there are examples to check')
  for (const block of blocks) {
    // The examples are fragments ("key": value, ...); a bare proxy belongs inside tdlib.
    const fragment = JSON.parse(`{${block}}`)
    const settings = 'proxy' in fragment ? { tdlib: fragment } : fragment
    t.doesNotThrow(() => settingsFromObject(settings, '/x'), block.trim().split('\n')[0] ?? block)
  }
})

const typesInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@prebuilt-tdlib/types/tdlib-types.d.ts')
    return true
  } catch {
    return false
  }
})()

t.test('src/settings/tdlib-names.ts matches the installed TDLib types', {
  skip: typesInstalled ? false : '@prebuilt-tdlib/types (a dev dependency) is not installed',
}, async t => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/gen-tdlib-names.mjs'), '--check'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr || 'the generated file is up to date')
})

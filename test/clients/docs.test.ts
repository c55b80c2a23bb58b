/** docs/clients.md stays true: its example is valid settings, and its audit events are the real ones. */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { settingsFromObject } from '../../src/settings/load.js'
import { settingsWarnings } from '../../src/settings/warnings.js'

const doc = readFileSync(new URL('../../docs/clients.md', import.meta.url), 'utf8')

t.test('the clients example is valid settings, without warnings about its clients', async t => {
  const block = /```json\n("allowed_requests"[\s\S]*?)```/.exec(doc)?.[1]
  t.ok(block, 'the example is there')
  const settings = settingsFromObject({ tdlib: { api_id: 1, api_hash: '0123456789abcdef0123456789abcdef' }, ...JSON.parse(`{${block!}}`) }, '/x')
  t.same(settings.clients?.map(c => c.name), ['backend', 'operators', 'desk-alice'])
  t.same(settingsWarnings(settings).filter(w => w.startsWith('/clients')), [])
})

t.test('every audit event is documented', async t => {
  const source = readFileSync(new URL('../../src/audit/audit.ts', import.meta.url), 'utf8')
  const events = [...source.matchAll(/\| '([a-z]+\.[a-z]+)'/g)].map(m => m[1]!)
  t.ok(events.length >= 9)
  for (const event of events) t.match(doc, `\`${event}\``, event)
})

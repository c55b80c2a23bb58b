/**
 * docs/grafana-dashboard.json and docs/operations.md against a real scrape
 * of a broker with every optional part on (tls, mysql, a clients list):
 * every metric the dashboard queries exists, every broker metric is
 * documented, and every documented one exists.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { startBroker, tempDir } from '../helpers/broker.js'
import { keyClient, testKey } from '../helpers/clients.js'
import { freePort } from '../store/helpers/mysql.js'
import { scrape } from './helpers.js'
import type { Family } from './prom-text.js'
import { writeSelfSignedPair } from '../helpers/certs.js'

const doc = (name: string): string => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8')

/** Whether `name` is a family of the scrape, or a sample name of one (a histogram's _bucket, _sum, _count). */
function exists (families: Map<string, Family>, name: string): boolean {
  if (families.has(name)) return true
  const m = /^(.*)_(bucket|sum|count)$/.exec(name)
  return m !== null && ['histogram', 'summary'].includes(families.get(m[1]!)?.type ?? '')
}

t.test('the dashboard and the docs name exactly the metrics a scrape has', async t => {
  const dir = tempDir()
  await writeSelfSignedPair(dir)
  const port = await freePort() // a closed port: the mirror is down, which is enough to have its gauges
  const b = await startBroker({
    admin: { port: 0 },
    tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' },
    mysql: { host: '127.0.0.1', port, user: 'root', database: 'test' },
    clients: [keyClient('a', await testKey())]
  }, { dir })
  t.teardown(b.stop)
  const families = await scrape(b.broker)

  const dashboard = JSON.parse(doc('grafana-dashboard.json')) as { panels: Array<{ title: string, targets: Array<{ expr: string }> }> }
  const used = new Set<string>()
  for (const panel of dashboard.panels) {
    t.ok(panel.targets.length > 0, `panel "${panel.title}" has a query`)
    for (const target of panel.targets) for (const m of target.expr.matchAll(/\b(?:tdbroker|process|nodejs)_[a-z0-9_]+/g)) used.add(m[0])
  }
  t.ok(used.size >= 20, `the dashboard queries many metrics (${used.size})`)
  for (const name of used) t.ok(exists(families, name), `dashboard metric ${name} is in the scrape`)

  const ours = [...families.keys()].filter(n => n.startsWith('tdbroker_')).sort()
  const usedFamilies = new Set([...used].map(n => n.replace(/_(bucket|sum|count)$/, '')))
  for (const name of ours) t.ok(usedFamilies.has(name), `the dashboard shows ${name}`)

  const documented = [...doc('operations.md').matchAll(/^\| `(tdbroker_[a-z0-9_]+)` \|/gm)].map(m => m[1]!).sort()
  t.same(documented, ours, 'docs/operations.md has one row for each broker metric, and no other')
  t.equal(families.get('tdbroker_certificate_expiry_seconds')?.samples[0]?.value !== undefined, true, 'the certificate gauge has a value')
  t.ok((families.get('tdbroker_certificate_expiry_seconds')?.samples[0]?.value ?? 0) > 300 * 86400, 'about a year left on a fresh certificate')
})

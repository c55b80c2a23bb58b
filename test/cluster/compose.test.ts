/**
 * docker-compose.cluster.yml: three broker nodes and NATS with JetStream.
 * docker-compose validates and normalises it (`config`; there is no Docker
 * engine here), and each node's settings file is loaded as the broker would.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { settingsFromObject } from '../../src/settings/load.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

interface Service { image?: string, command?: string[], build?: { context: string }, volumes?: Array<string | { source: string, target: string }>, ports?: unknown[], depends_on?: unknown }

function config (): { services?: Record<string, Service>, skip?: string, error?: string } {
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).error !== undefined) return { skip: 'docker-compose is not installed (apt-get install docker-compose)' }
  const r = spawnSync('docker-compose', ['-f', 'docker-compose.cluster.yml', 'config'], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) return { error: `docker-compose config failed: ${r.stderr}` }
  const json = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: r.stdout, encoding: 'utf8' })
  if (json.status !== 0) return { skip: `cannot parse the output without python3 and PyYAML: ${json.stderr}` }
  return { services: (JSON.parse(json.stdout) as { services: Record<string, Service> }).services }
}

const compose = config()

t.test('docker-compose accepts docker-compose.cluster.yml: NATS and three nodes', { skip: compose.skip ?? false }, async t => {
  t.equal(compose.error, undefined, 'docker-compose config succeeds')
  const services = compose.services ?? {}
  t.same(Object.keys(services).sort(), ['nats', 'node-a', 'node-b', 'node-c'])
  t.match(services.nats?.image, /^nats:2\.9/, 'NATS 2.9, as tested here')
  t.ok(services.nats?.command?.includes('-js'), 'with JetStream')
  const mounts = (s: Service | undefined): string[] => (s?.volumes ?? []).map(v => typeof v === 'string' ? v : `${v.source}:${v.target}`)
  for (const name of ['a', 'b', 'c']) {
    const s = services[`node-${name}`]
    t.equal(s?.build?.context.replace(/\/$/, ''), root.replace(/\/$/, ''), `node-${name} is built from this repository`)
    t.ok(mounts(s).some(m => m.includes(`cluster/node-${name}.json`) && m.includes('/app/storage/settings.json')), `node-${name} reads its own settings`)
    t.ok(mounts(s).some(m => m.includes(`storage/node-${name}`) && m.includes('/app/storage/sessions')), `node-${name} has its own session folders`)
  }
})

t.test('each node\'s settings load, name their node and reach the nats service', async t => {
  const nodes = new Set<string>()
  for (const name of ['a', 'b', 'c']) {
    const raw = JSON.parse(readFileSync(join(root, `cluster/node-${name}.json`), 'utf8')) as Record<string, unknown>
    const settings = settingsFromObject(raw, join(root, 'cluster'))
    t.equal(settings.cluster?.node, name, `node-${name}.json names node ${name}`)
    t.same(settings.cluster?.servers, ['nats://nats:4222'], 'it connects to the nats service')
    nodes.add(settings.cluster?.node ?? '')
  }
  t.equal(nodes.size, 3, 'three different node names')
})

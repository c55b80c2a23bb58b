/**
 * docker-compose.yml, Dockerfile and .dockerignore. There is no Docker engine
 * here: docker-compose validates and normalises the compose file (`config`),
 * and the Dockerfile is checked as text.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { trustedPeers } from '../../src/server/proxy-protocol.js'
import { settingsFromObject } from '../../src/settings/load.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const read = (name: string): string => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')

interface Service {
  build?: { context: string }
  image?: string
  restart?: string
  mem_limit?: string | number
  ports?: unknown[]
  volumes?: string[]
  healthcheck?: { test: string[] }
  network_mode?: string
  depends_on?: Record<string, { condition: string }> | string[]
}

function composeConfig (): { config?: { services: Record<string, Service> }, skip?: string, error?: string } {
  const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' })
  if (probe.error !== undefined) return { skip: 'docker-compose is not installed (apt-get install docker-compose)' }
  const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) return { error: `docker-compose config failed: ${r.stderr}` }
  // docker-compose (Debian's, Python) runs on PyYAML, so it is there to turn its YAML into JSON
  const json = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: r.stdout, encoding: 'utf8' })
  if (json.status !== 0) return { skip: `cannot parse the output without python3 and PyYAML: ${json.stderr || String(json.error)}` }
  return { config: JSON.parse(json.stdout) }
}

const compose = composeConfig()

t.test('docker-compose accepts docker-compose.yml, laid out like siptg/storage', { skip: compose.skip ?? false }, async t => {
  t.equal(compose.error, undefined, 'docker-compose config succeeds')
  const services = compose.config?.services ?? {}
  // siptg's operators run `docker-compose up -d storage nginx`
  t.same(Object.keys(services).sort(), ['nginx', 'storage'])
  const { storage, nginx } = services as { storage: Service, nginx: Service }

  t.equal(storage.build?.context.replace(/\/$/, ''), root.replace(/\/$/, ''), 'the broker is built from this repository')
  t.equal(storage.restart, 'unless-stopped')
  t.equal(storage.network_mode, 'host', 'on the host network, so siptg\'s "host": "localhost" is reachable from nginx')
  t.match(String(storage.mem_limit), /^(2g|2147483648)$/, 'memory is capped')
  t.same(storage.volumes, [
    `${root}storage/settings.json:/app/storage/settings.json:ro`,
    `${root}storage/sessions:/app/storage/sessions:rw`,
    `${root}storage/log:/app/storage/log:rw`,
  ], 'settings read-only, sessions and log writable')
  t.same(storage.healthcheck?.test, ['CMD', 'node', 'dist/src/admin/health-probe.js', '/app/storage/settings.json'], '/readyz, or tdbroker status without an admin section')
  t.equal(storage.ports, undefined, 'the plain broker port is not published')

  t.equal(nginx.image, 'nginx:stable')
  t.equal(nginx.restart, 'unless-stopped')
  t.equal(nginx.network_mode, 'host', 'nginx listens on the host\'s 50002 itself')
  t.same(nginx.volumes, [`${root}nginx/nginx.conf:/etc/nginx/nginx.conf:ro`, `${root}ssl:/etc/nginx/ssl:ro`])
  t.match(nginx.depends_on, { storage: { condition: 'service_healthy' } }, 'nginx waits for a healthy broker')
})

t.test('Dockerfile: node 20 slim, two stages, non-root, health check', async t => {
  const text = read('Dockerfile')
  const instructions = text.split('\n').filter(l => /^[A-Z]+\s/.test(l))
  const from = instructions.filter(l => l.startsWith('FROM '))
  t.same(from, ['FROM node:20-bookworm-slim AS build', 'FROM node:20-bookworm-slim'], 'multi-stage on node:20-bookworm-slim')

  const runtime = text.slice(text.lastIndexOf('\nFROM '))
  t.match(runtime, /npm install --omit=dev/, 'production dependencies only at run time')
  t.notMatch(instructions.join('\n'), /npm ci\b/, 'npm install, not npm ci')
  t.match(runtime, /COPY --from=build \/app\/dist \.\/dist/)
  t.match(runtime, /^COPY sandbox \.\/sandbox$/m, 'the sandbox demo world, found next to package.json at run time')
  const users = runtime.split('\n').filter(l => l.startsWith('USER '))
  t.same(users, ['USER node'], 'runs as the unprivileged node user')
  t.ok(runtime.indexOf('USER node') < runtime.indexOf('CMD '), 'USER comes before CMD')
  t.match(runtime, /^WORKDIR \/app$/m)
  t.match(runtime, /^EXPOSE 23456$/m)
  t.match(runtime, /^HEALTHCHECK .*\\\n\s+CMD \["node", "dist\/src\/admin\/health-probe.js", "\/app\/storage\/settings.json"\]$/m)
  t.match(runtime, /^CMD \["node", "dist\/src\/cli\/main.js", "start", "--settings", "\/app\/storage\/settings.json"\]$/m)
})

t.test('.dockerignore keeps secrets and local state out of the build context', async t => {
  const ignored = read('.dockerignore').split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  for (const entry of ['.git', 'node_modules', 'dist', 'storage', 'ssl', '*.pem', '*.key']) {
    t.ok(ignored.includes(entry), `${entry} is ignored`)
  }
  for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'bench', 'sandbox', 'schema.sql']) {
    t.notOk(ignored.includes(needed), `${needed} reaches the build`)
  }
})

t.test('the files agree on names, ports and paths', async t => {
  const conf = read('nginx/nginx.conf')
  const composeText = read('docker-compose.yml')
  t.match(conf, /^\s*proxy_pass 127\.0\.0\.1:23456;$/m, 'nginx sends to the broker on the same host, port 23456')
  t.match(composeText, /^ {2}storage:$/m)
  // siptg's settings.json, dropped in unchanged, is what nginx reaches
  const siptg = JSON.parse(read('test/fixtures/siptg-settings.json')) as { host: string, port: number }
  t.equal(siptg.host, 'localhost')
  t.equal(siptg.port, 23456)
  t.match(read('Dockerfile'), /^EXPOSE 23456$/m)
  t.match(conf, /listen 50002 ssl/)
  t.notMatch(composeText, /^\s*ports:/m, 'no published ports: both services are on the host network')
  for (const f of ['cert.pem', 'key.pem']) t.match(conf, new RegExp(`/etc/nginx/ssl/${f};`), `nginx reads ssl/${f}`)
  t.match(read('ssl/.gitignore'), /^\*\.pem$/m, 'ssl/*.pem stays out of git')
})

t.test("nginx sends the PROXY protocol and the deployment's settings read it from nginx on the same host", async t => {
  t.match(read('nginx/nginx.conf'), /^\s+proxy_protocol on;$/m, 'nginx.conf ships proxy_protocol on')
  const guide = read('docs/deployment.md')
  const block = /## 2\. Settings[\s\S]*?```json\n([\s\S]*?)```/.exec(guide)?.[1]
  t.ok(block !== undefined, 'docs/deployment.md has the settings of the compose layout')
  const settings = settingsFromObject(JSON.parse(block ?? '{}') as Record<string, unknown>, '/app/storage')
  t.equal(settings.proxy_protocol, true, 'they enable proxy_protocol')
  const trusted = trustedPeers(settings.proxy_protocol_trusted)
  t.equal(settings.host, 'localhost', 'the broker listens on localhost, where nginx (host network) reaches it')
  t.same(settings.proxy_protocol_trusted, [], 'nothing to list: nginx connects from loopback')
  for (const nginx of ['127.0.0.1', '::1']) t.ok(trusted(nginx), `nginx at ${nginx} is trusted`)
  for (const other of ['172.18.0.3', '203.0.113.7']) t.notOk(trusted(other), `${other} is not`)
})

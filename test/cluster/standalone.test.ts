/**
 * Without a cluster section the broker is what it was: its registry is the
 * plain one, and running it loads no NATS module.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { ROOT } from '../helpers/cli.js'
import { startBroker } from '../helpers/broker.js'
import { SessionRegistry } from '../../src/session/registry.js'
import { ClusterRegistry } from '../../src/cluster/cluster-registry.js'
import { settingsFromObject } from '../../src/settings/load.js'

t.test('no cluster section: the plain registry, no cluster status', async t => {
  const b = await startBroker({ tdlib: { backend: 'sandbox' } })
  t.teardown(async () => { await b.stop() })
  t.ok(b.broker.registry instanceof SessionRegistry && !(b.broker.registry instanceof ClusterRegistry), 'the plain session registry')
  t.notOk('cluster' in b.broker.statusExtras(), 'no cluster field in the status')
})

/** Starts and stops the compiled broker in a child process with NODE_DEBUG=module, which logs every CommonJS module it loads (the NATS client's are CommonJS). */
function moduleLog (extra: Record<string, unknown>): { status: number | null, log: string } {
  const script = `
    import { startBroker } from './dist/src/index.js'
    import { mkdtempSync } from 'node:fs'
    import { tmpdir } from 'node:os'
    import { join } from 'node:path'
    const dir = mkdtempSync(join(tmpdir(), 'tdbroker-standalone-'))
    const b = await startBroker({ host: '127.0.0.1', port: 0, tdlib: { backend: 'sandbox', path: join(dir, 's') }, ...${JSON.stringify(extra)} }, { logger: (await import('pino')).pino({ level: 'silent' }) })
    await b.stop()
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_DEBUG: 'module' } })
  return { status: r.status, log: r.stderr }
}

t.test('a broker without cluster loads no NATS code; with cluster it does', async t => {
  const alone = moduleLog({})
  t.equal(alone.status, 0, 'the broker started and stopped')
  t.notMatch(alone.log, /@nats-io/, 'no @nats-io module was loaded')
  const node = moduleLog({ cluster: { node: 'n1', prefix: `standalone${process.pid}` } })
  t.equal(node.status, 0, 'the cluster node started and stopped')
  t.match(node.log, /@nats-io\/transport-node/, 'the same check sees the NATS client when it is loaded')
})

t.test('with a cluster section the settings name the node', async t => {
  const s = settingsFromObject({ cluster: { node: 'n1' } }, ROOT)
  t.same(s.cluster, { node: 'n1', servers: ['nats://127.0.0.1:4222'], prefix: 'tdbroker', lease_ttl: 4, heartbeat: 1, request_timeout: 15, updates_max_age: 86400, updates_per_session: 10000, backup_interval: 60, weight: 1 }, 'with the defaults')
  t.throws(() => settingsFromObject({ cluster: { node: 'bad name' } }, ROOT), /cluster/, 'a node name that cannot be a subject token is refused')
  t.throws(() => settingsFromObject({ cluster: { node: 'n1', lease_tll: 3 } }, ROOT), /lease_tll/, 'a misspelt key is refused')
})

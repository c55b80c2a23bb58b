/**
 * mysql/ssl on a MariaDB of our own with TLS: key, cert and ca are read from
 * paths relative to the settings file; a user that requires a client
 * certificate gets in with them and not without; a CA that did not sign the
 * server is a clear error at start.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import { loadSettings } from '../../src/settings/load.js'
import { createTdlBackend } from '../../src/tdlib/tdl-backend.js'
import { LogSink } from '../helpers/log-sink.js'
import { PrivateMariadb, privateServerMissing, queryOnce, tempDatabase } from './helpers/mysql.js'
import { scratchDir } from './helpers/broker.js'

const missing = privateServerMissing() || (spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed')

function openssl (cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`)
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA; plus an unrelated CA. */
function makeCertificates (dir: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  for (const ca of ['ca', 'other-ca']) {
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=tdbroker test ${ca}`, '-keyout', `${ca}-key.pem`, '-out', `${ca}.pem`])
  }
  for (const [name, extra] of [['server', ['-extfile', 'san.cnf']], ['client', []]] as const) {
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=tdbroker test ${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`])
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, ...extra])
  }
}

t.test('mysql/ssl: relative key, cert and ca; a certificate-only user; a wrong CA', { skip: missing }, async t => {
  const root = scratchDir('tdbroker-mysql-tls-')
  const certs = join(root, 'storage', 'certs')
  makeCertificates(certs)
  const server = await PrivateMariadb.create(join(root, 'mariadb'), [
    `--ssl-ca=${join(certs, 'ca.pem')}`, `--ssl-cert=${join(certs, 'server.pem')}`, `--ssl-key=${join(certs, 'server-key.pem')}`,
  ])
  t.teardown(async () => { await server.destroy() })
  const db = await tempDatabase({ server: server.connection })
  await db.query("CREATE USER 'certonly'@'%' REQUIRE X509")
  await db.query(`GRANT ALL ON \`${db.name}\`.* TO 'certonly'@'%'`)

  const settingsFile = join(root, 'storage', 'settings.json')
  const write = (mysql: Record<string, unknown>): void => {
    writeFileSync(settingsFile, JSON.stringify({ host: '127.0.0.1', port: 0, tdlib: { api_id: 94575, api_hash: 'x', path: 'sessions' }, mysql }))
  }
  const backend = createTdlBackend({ verbosity: 0 })
  const start = async (): Promise<{ broker: Broker, logs: LogSink }> => {
    const logs = new LogSink()
    const broker = new Broker({ settings: loadSettings(settingsFile), backend, logger: pino({ level: 'trace' }, logs) })
    await broker.start()
    return { broker, logs }
  }
  const base = { host: '127.0.0.1', port: server.port, user: 'certonly', database: db.name }

  write({ ...base, ssl: { key: 'certs/client-key.pem', cert: 'certs/client.pem', ca: 'certs/ca.pem' } })
  const { broker } = await start()
  t.equal(broker.store.mirror?.state, 'up', 'connected with the client certificate, paths taken from the settings folder')
  broker.store.rememberUser({ user_id: 99, is_bot: false })
  await broker.stop('test')
  const rows = await queryOnce(server.connection, db.name, 'SELECT user_id FROM users')
  t.same(rows, [{ user_id: '99' }], 'and wrote through it')

  write(base)
  await t.rejects(start(), { message: /^MySQL refused the login certonly@127\.0\.0\.1/ }, 'without a certificate the same user is refused')

  write({ ...base, ssl: { key: 'certs/client-key.pem', cert: 'certs/client.pem', ca: 'certs/other-ca.pem' } })
  await t.rejects(start(), { message: /^TLS to MySQL at 127\.0\.0\.1:\d+ failed: .*\(check mysql\/ssl\)$/ }, 'a CA that did not sign the server is refused')

  write({ ...base, ssl: { ca: 'certs/nope.pem' } })
  await t.rejects(start(), { message: `mysql/ssl/ca: cannot read ${join(certs, 'nope.pem')} (ENOENT)` })
})

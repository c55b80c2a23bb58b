/**
 * The `tdbroker` command as an operator runs it (the compiled dist/, built by
 * `npm test`'s pretest step): start, SIGTERM, bad settings, check-config, status.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { CLI, ROOT, startCli } from '../helpers/cli.js'

/** The compiled CLI with ARGS in `dir`, once it listens. */
const spawnBroker = async (args: string[], cwd: string) => await startCli(cwd, args)

const SIPTG = join(ROOT, 'test/fixtures/siptg-settings.json')


t.test('SIGTERM tells clients, closes TDLib cleanly and exits 0; the folder reopens at once', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({
    host: '127.0.0.1', port: 0, debug_level: 4, logfile: 'broker.log',
    tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' },
    allowed_requests: ['testSquareInt']
  }))
  const running = await spawnBroker(['start', '--settings', 'settings.json'], dir)
  t.match(running.output(), /^tdbroker \d+\.\d+\.\d+ \(TDLib 1\.8\.\d+, backend tdlib\), settings: .*settings\.json$/m, 'prints its version')
  const client = await TestClient.connect(running.port)
  const session = await client.createSession()
  await client.waitFor(m => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitPhoneNumber')

  running.child.kill('SIGTERM')
  const closing = await client.waitFor(m => m['@type'] === 'broker.closing')
  t.equal(closing.reason, 'SIGTERM', 'connected clients are told')
  t.equal(await running.exited, 0, 'exit status 0')
  await client.closedPromise
  t.notOk(existsSync(join(dir, 'sessions', '.tdbroker.lock')), 'no broker lock left')
  const log = readFileSync(join(dir, 'broker.log'), 'utf8')
  t.match(log, /"msg":"session stopped"/, 'the session was stopped cleanly (logfile)')
  t.match(log, /"msg":"broker stopped"/)

  // TDLib stalls about 10 s and then fails on a folder another client still holds:
  // reopening within the start timeout with waitPhoneNumber proves it was released.
  const again = await startBroker({}, { dir })
  t.teardown(again.stop)
  const c = await TestClient.connect(again.port)
  t.teardown(() => { c.close() })
  const before = Date.now()
  await c.request({ '@type': 'broker.attachSession', session })
  await c.waitFor(m => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as Msg)['@type'] === 'authorizationStateWaitPhoneNumber')
  t.ok(Date.now() - before < 5000, 'the session folder opened without waiting on a TDLib lock')
})

t.test('start refuses an invalid settings file with a non-zero exit and the problem named', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ port: 'x', tdlib: { path: 's', proxy: { type: 'socks5', host: 'h', port: 1, hots: 1 } } }))
  const r = spawnSync(process.execPath, [CLI, 'start', '--settings', 'bad.json'], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(r.status, 1)
  t.match(r.stderr, /cannot start/)
  t.match(r.stderr, /\/port/)
  t.match(r.stderr, /\/tdlib\/proxy.*hots/)
  const missing = spawnSync(process.execPath, [CLI, 'start', '--settings', 'nope.json'], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(missing.status, 1)
  t.match(missing.stderr, /nope\.json/)
  const usage = spawnSync(process.execPath, [CLI, 'start', '--prot', '1'], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(usage.status, 64)
  t.match(usage.stderr, /Unknown option '--prot'/)
})

t.test('check-config accepts siptg\'s settings file unchanged and masks secrets', async t => {
  const r = spawnSync(process.execPath, [CLI, 'check-config', SIPTG], { encoding: 'utf8', timeout: 20_000 })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /settings OK/)
  t.notMatch(r.stdout, /"API_HASH"/, 'the api_hash is not printed')
  t.match(r.stdout, /"terminate_delay": 60/)
})

t.test('start on embedded defaults, and status against it', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const running = await spawnBroker(['start', '--port', '0'], dir)
  t.teardown(() => { running.child.kill('SIGTERM') })
  t.match(running.output(), /settings: embedded defaults/)
  t.ok(existsSync(join(dir, 'storage', 'sessions')), 'sessions live under ./storage/sessions')
  const status = spawnSync(process.execPath, [CLI, 'status', '--port', String(running.port)], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(status.status, 0, status.stderr)
  t.match(status.stdout, /^sessions_running: 0$/m)
  t.match(status.stdout, /^clients_connected: 1$/m, 'counts its own connection')
  running.child.kill('SIGTERM')
  t.equal(await running.exited, 0)
  const down = spawnSync(process.execPath, [CLI, 'status', '--port', String(running.port)], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(down.status, 1, 'status fails when nothing answers')
  t.match(down.stderr, /no answer from/)
})

t.test('SIGHUP reloads whitelists from the settings file without dropping sessions; a broken file changes nothing', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const base = { host: '127.0.0.1', port: 0, logfile: 'broker.log', tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' } }
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ ...base, allowed_requests: ['testCallEmpty'] }))
  const running = await spawnBroker(['start', '--settings', 'settings.json'], dir)
  t.teardown(() => { running.child.kill('SIGTERM') })
  const client = await TestClient.connect(running.port)
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  t.match((await client.request({ '@type': 'testSquareInt', x: 3, '@session': session })).message, /^REQUEST_NOT_ALLOWED/)

  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ ...base, allowed_requests: ['testCallEmpty', 'testSquareInt'] }))
  running.child.kill('SIGHUP')
  const deadline = Date.now() + 10_000
  let answer: Msg = {}
  while (Date.now() < deadline) {
    answer = await client.request({ '@type': 'testSquareInt', x: 3, '@session': session })
    if (answer.value === 9) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(answer.value, 9, 'the widened whitelist applies to the same connection and session')

  writeFileSync(join(dir, 'settings.json'), '{ "allowed_requests": [ broken')
  running.child.kill('SIGHUP')
  while (!readFileSync(join(dir, 'broker.log'), 'utf8').includes('SIGHUP: settings not reloaded')) await new Promise(resolve => setTimeout(resolve, 50))
  t.equal((await client.request({ '@type': 'testSquareInt', x: 4, '@session': session })).value, 16, 'a broken file keeps the previous settings')
  t.notOk(client.closed, 'the connection was never dropped')
})

t.test('status counts a broker with a clients list as answering', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const add = spawnSync(process.execPath, [CLI, 'client', 'add', 'ops'], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(add.status, 0, add.stderr)
  const entryLine = add.stdout.trim().split('\n').at(-1) ?? '{}'
  const entry = JSON.parse(entryLine) as Msg
  t.equal(entry.name, 'ops', 'client add prints the settings entry')
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ host: '127.0.0.1', port: 0, tdlib: { api_id: 94575, api_hash: 'test' }, clients: [entry] }))
  const running = await spawnBroker(['start', '--settings', 'settings.json'], dir)
  t.teardown(() => { running.child.kill('SIGTERM') })
  const status = spawnSync(process.execPath, [CLI, 'status', '--port', String(running.port)], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  t.equal(status.status, 0, status.stderr)
  t.match(status.stdout, /answering/)
})

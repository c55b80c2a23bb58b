/**
 * The command's output as an operator sees it (the compiled dist/): one
 * version line in the log even at debug_level 0, and a pipe whose reader
 * goes away early (`| head -4`) ends nothing but the output.
 */
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { certCommand } from '../../src/cli/cert.js'
import { tempDir } from '../helpers/broker.js'
import { TestClient } from '../helpers/client.js'

const CLI = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/src/cli/main.js')

/** Resolves when `check` holds, polling; rejects after `ms`. */
async function until (check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

t.test('cert show into `| head -4` exits 0 without an EPIPE', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  t.equal(await certCommand(['create', '--dir', dir], () => {}, () => {}), 0)
  // 300 certificates print far more than a pipe holds, so the writer surely meets the closed pipe.
  writeFileSync(join(dir, 'bundle.pem'), readFileSync(join(dir, 'cert.pem'), 'utf8').repeat(300))
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" cert show bundle.pem | head -4; echo "status=\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  const lines = r.stdout.trimEnd().split('\n')
  t.equal(lines.length, 5, 'head printed its four lines')
  t.match(lines[0], /^certificate 1 of 300$/)
  t.equal(lines[4], 'status=0', 'tdbroker exited 0')
  t.equal(r.stderr, '', 'nothing on stderr (no uncaught EPIPE)')
})

t.test('a broker logging to a standard output nobody reads keeps serving', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const port = await new Promise<number>(resolve => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => { resolve(port) })
    })
  })
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ host: '127.0.0.1', port, debug_level: 6, tdlib: { path: 'sessions' }, allowed_requests: ['testSquareInt'] }))
  const child = spawn(process.execPath, [CLI, 'start', '--settings', 'settings.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.destroy()
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const exit = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let client: TestClient | undefined
  const deadline = Date.now() + 20_000
  while (client === undefined) {
    client = await TestClient.connect(port).catch(async () => {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the broker did not listen: ${err}`)
      await new Promise(resolve => setTimeout(resolve, 50))
      return undefined
    })
  }
  t.teardown(() => { client?.close() })
  // Every request is logged at debug_level 6, each write meeting the closed pipe.
  for (let i = 0; i < 20; i++) t.equal((await client.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
  t.equal(child.exitCode, null, 'the broker still runs')
  child.kill('SIGTERM')
  t.equal(await exit, 0, 'and stops cleanly')
  t.notMatch(err, /EPIPE|Error/, 'nothing alarming on stderr')
})

t.test('debug_level 0 logs one line: the version', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ host: '127.0.0.1', port: 0, debug_level: 0, logfile: 'broker.log', tdlib: { path: 'sessions' }, allowed_requests: ['testSquareInt'] }))
  const child = spawn(process.execPath, [CLI, 'start', '--settings', 'settings.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const exit = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await until(() => /listening on \S+:\d+/.test(out), 20_000, 'the broker to listen')
  const client = await TestClient.connect(Number(/listening on \S+:(\d+)/.exec(out)?.[1]))
  await client.request({ '@type': 'broker.ping' })
  client.close()
  child.kill('SIGTERM')
  t.equal(await exit, 0)
  const lines = readFileSync(join(dir, 'broker.log'), 'utf8').trimEnd().split('\n')
  t.equal(lines.length, 1, 'one line, whatever happened after')
  const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>
  t.match(line.msg, /^tdbroker \d+\.\d+\.\d+ starting$/)
  t.match(line.version, /^\d+\.\d+\.\d+$/)
  t.match(line.tdlib, /^1\.8\.\d+$/)
})

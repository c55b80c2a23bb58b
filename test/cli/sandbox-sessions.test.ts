/**
 * Sandbox sessions and real ones are kept apart: with the sandbox backend
 * the default tdlib.path is a folder of its own, and a broker leaves alone
 * (and says so) a session folder of the other backend. The CLI cases spawn
 * the compiled dist/ (run `npx tsc -p tsconfig.json` first).
 */
import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { settingsForStart } from '../../src/cli/start.js'
import { META_FILE } from '../../src/session/meta.js'
import { tempDir } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { startCli, type RunningCli } from '../helpers/cli.js'

/** The compiled CLI with ARGS in `dir`, once it listens; killed at the end of the file if still running. */
async function spawnBroker (args: string[], cwd: string): Promise<RunningCli> {
  const running = await startCli(cwd, args)
  children.add(running.child)
  return running
}



const children = new Set<ChildProcess>()
t.teardown(() => { for (const child of children) if (child.exitCode === null) child.kill('SIGKILL') })

async function stop (running: RunningCli): Promise<number | null> {
  running.child.kill('SIGTERM')
  return await running.exited
}

async function sessionIds (port: number): Promise<string[]> {
  const c = await TestClient.connect(port)
  try {
    const list = await c.request({ '@type': 'broker.listSessions' })
    return (list.sessions as Msg[]).map(s => s.session as string)
  } finally {
    c.close()
  }
}

t.test('the default tdlib.path of the sandbox is a folder of its own, unless the settings name one', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const flags = (...names: string[]): Record<string, string | boolean> => Object.fromEntries(names.map(n => [n, true]))
  t.equal(settingsForStart(flags(), dir).tdlib.path, join(dir, 'storage', 'sessions'), 'embedded defaults')
  t.equal(settingsForStart(flags('sandbox'), dir).tdlib.path, join(dir, 'storage', 'sandbox-sessions'), 'embedded defaults, --sandbox')
  t.equal(settingsForStart(flags('sandbox'), dir).tdlib.backend, 'sandbox')

  const file = (name: string, tdlib: Record<string, unknown>): Record<string, string | boolean> => {
    writeFileSync(join(dir, name), JSON.stringify({ tdlib }))
    return { settings: name }
  }
  t.equal(settingsForStart(file('real.json', {}), dir).tdlib.path, join(dir, 'sessions'), 'a file without tdlib.path: "sessions"')
  t.equal(settingsForStart(file('sandbox.json', { backend: 'sandbox' }), dir).tdlib.path, join(dir, 'sandbox-sessions'), 'the sandbox in the file')
  const flagged = file('real2.json', {})
  flagged.sandbox = true
  t.equal(settingsForStart(flagged, dir).tdlib.path, join(dir, 'sandbox-sessions'), 'the sandbox by --sandbox')
  t.equal(settingsForStart(file('own.json', { backend: 'sandbox', path: 'mine' }), dir).tdlib.path, join(dir, 'mine'), 'a path the file gives is kept')
})

t.test('after the sandbox demo, a plain start does not list the sandbox\'s sessions; folders of the other backend are left alone', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const sandbox = await spawnBroker(['start', '--sandbox', '--port', '0'], dir)
  const c = await TestClient.connect(sandbox.port)
  const emulated = await c.createSession()
  c.close()
  t.equal(await stop(sandbox), 0)
  const sandboxFolder = join(dir, 'storage', 'sandbox-sessions', emulated)
  t.ok(existsSync(sandboxFolder), 'the sandbox session lives under storage/sandbox-sessions')
  t.match(JSON.parse(readFileSync(join(sandboxFolder, META_FILE), 'utf8')), { backend: 'sandbox' }, 'and its folder says so')

  const real = await spawnBroker(['start', '--port', '0'], dir)
  t.same(await sessionIds(real.port), [], 'a broker on real TDLib lists none of them')
  const d = await TestClient.connect(real.port)
  const genuine = await d.createSession()
  // Without api_id the embedded defaults leave the session waiting for TDLib parameters, which is enough here.
  await d.waitFor(m => m['@type'] === 'updateAuthorizationState')
  d.close()
  t.equal(await stop(real), 0)
  t.match(JSON.parse(readFileSync(join(dir, 'storage', 'sessions', genuine, META_FILE), 'utf8')), { backend: 'tdlib' })

  // Someone copies the folders across: each broker leaves the other's alone and says why.
  cpSync(sandboxFolder, join(dir, 'storage', 'sessions', emulated), { recursive: true })
  cpSync(join(dir, 'storage', 'sessions', genuine), join(dir, 'storage', 'sandbox-sessions', genuine), { recursive: true })
  // A sandbox folder from before the backend was recorded is known by the sandbox's login marker.
  const legacy = '1234567890123'
  mkdirSync(join(dir, 'storage', 'sessions', legacy))
  writeFileSync(join(dir, 'storage', 'sessions', legacy, 'sandbox-session.json'), JSON.stringify({ format: 1, user_id: 101, phone: '15550000101', known_users: [], known_chats: [] }))

  const realAgain = await spawnBroker(['start', '--port', '0'], dir)
  t.same(await sessionIds(realAgain.port), [genuine], 'only its own session')
  t.equal(await stop(realAgain), 0)
  const realOut = realAgain.output()
  for (const id of [emulated, legacy]) {
    t.match(realOut, new RegExp(`"session":"${id}".*session folder holds a sandbox session and this broker runs the tdlib backend: ignored`), `${id} is reported`)
  }
  t.notOk(existsSync(join(dir, 'storage', 'sessions', emulated, 'td.binlog')), 'TDLib never opened the sandbox folder')

  const sandboxAgain = await spawnBroker(['start', '--sandbox', '--port', '0'], dir)
  t.same(await sessionIds(sandboxAgain.port), [emulated], 'the sandbox lists only its own')
  t.equal(await stop(sandboxAgain), 0)
  t.match(sandboxAgain.output(), new RegExp(`"session":"${genuine}".*session folder holds a tdlib session and this broker runs the sandbox backend: ignored`))
})

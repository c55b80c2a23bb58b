/**
 * The README's first commands are the contract with a newcomer: they are run
 * here as written (bash, socat, nc), against the compiled broker started the
 * way `npm start` starts it, in a fresh folder, on the README's port 23456.
 * The only change made to a pasted block is a shorter `sleep` where a block
 * waits for a person to watch.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { tempDir } from '../helpers/broker.js'
import { ROOT, runCommand, startCli, stopCli as stop, type RunningCli } from '../helpers/cli.js'

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map(m => m[1] as string)
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** Runs package.json's start script (what `npm start` runs) in `cwd`, with extra arguments. */
async function npmStart (cwd: string, extra: string[] = []): Promise<RunningCli> {
  const [node, cli, ...args] = (PKG.scripts.start as string).split(' ')
  if (node !== 'node' || cli !== 'dist/src/cli/main.js') throw new Error(`npm start runs something else: ${PKG.scripts.start as string}`)
  return await startCli(cwd, [...args, ...extra])
}

/** Runs a README block with bash, bounded in time; resolves with its stdout. */
async function bash (script: string): Promise<string> { return await runCommand('bash', ['-c', script], ROOT) }

const lines = (out: string): Array<Record<string, unknown>> => out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)

t.test('the quick start: install-and-start, test, and the start script', async t => {
  t.equal(blocks[0]?.trim(), 'npm install && npm start')
  t.equal(blocks[1]?.trim(), 'npm test')
  t.equal(PKG.scripts.start, 'node dist/src/cli/main.js start', 'npm start runs the compiled CLI')
})

const roundTrip = blocks[2] ?? ''

function checkRoundTrip (t: { ok: (value: unknown, message: string) => unknown }, out: string): void {
  const got = lines(out)
  t.ok(got.some(m => m['@type'] === 'testInt' && m.value === 144 && (m['@extra'] as { id?: number } | undefined)?.id === 1), 'testSquareInt answers 144')
  t.ok(got.some(m => m['@type'] === 'error' && m['@extra'] === 'refused' && String(m.message).startsWith('REQUEST_NOT_ALLOWED: addProxy')), 'addProxy is refused')
  t.ok(got.some(m => m['@type'] === 'broker.attached' && m['@extra'] === 'a'), 'attached')
}

t.test('the round trip with a plain socket client, on the embedded defaults', { skip: has('socat') ? false : 'socat is not installed' }, async t => {
  t.match(roundTrip, /socat -t1 - TCP:localhost:23456/, 'the README block is the round trip')
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const broker = await npmStart(dir)
  t.teardown(async () => { await stop(broker) })
  t.match(broker.output(), /embedded defaults/)
  t.match(broker.output(), /listening on 127\.0\.0\.1:23456/)
  checkRoundTrip(t, await bash(roundTrip))

  if (has('nc')) {
    // "nc -N localhost 23456 works the same way" (README)
    const withNc = roundTrip.replace('socat -t1 - TCP:localhost:23456', 'nc -N localhost 23456')
    t.not(withNc, roundTrip)
    checkRoundTrip(t, await bash(withNc))
  }
})

t.test('after copying settings.example.json to storage/settings.json, the round trip still works', { skip: has('socat') ? false : 'socat is not installed' }, async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'storage'))
  copyFileSync(join(ROOT, 'settings.example.json'), join(dir, 'storage', 'settings.json'))
  const broker = await npmStart(dir)
  t.teardown(async () => { await stop(broker) })
  t.match(broker.output(), /settings: .*storage\/settings\.json/)
  checkRoundTrip(t, await bash(roundTrip))
})

t.test('the sandbox demo: Bob hears Alice\'s bold "Hello"', { skip: has('socat') ? false : 'socat is not installed' }, async t => {
  t.equal(blocks[3]?.trim(), 'npm start -- --sandbox')
  const bob = blocks[4] ?? ''
  const alice = blocks[5] ?? ''
  t.match(bob, /sleep 60;/, 'Bob\'s block waits for a minute')
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const broker = await npmStart(dir, ['--sandbox'])
  t.teardown(async () => { await stop(broker) })
  t.match(broker.output(), /SANDBOX/)
  const bobOut = bash(bob.replace('sleep 60;', 'sleep 6;'))
  await new Promise(resolve => setTimeout(resolve, 2500))
  const aliceOut = lines(await bash(alice))
  t.ok(aliceOut.some(m => m['@type'] === 'message' && m['@extra'] === 'hi'), 'Alice\'s sendMessage is answered')
  const heard = lines(await bobOut).find(m => m['@type'] === 'updateNewMessage')
  t.ok(heard, 'Bob receives updateNewMessage')
  const content = ((heard?.message as Record<string, unknown> | undefined)?.content as Record<string, unknown> | undefined)
  const text = content?.text as { text?: string, entities?: Array<{ offset: number, length: number, type: { '@type': string } }> } | undefined
  t.equal(text?.text, 'Hello, Bob')
  t.match(text?.entities, [{ offset: 0, length: 5, type: { '@type': 'textEntityTypeBold' } }], '"Hello" in bold')
})

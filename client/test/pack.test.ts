/**
 * The client as a service installs it: `npm pack` the workspace, install the
 * tarball into an empty project, check that no TDLib came with it (no tdl, no
 * prebuilt-tdlib, no libtdjson), then compile a typed script there against
 * the installed .d.ts and run it against a real broker.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startBroker, tempDir } from '../../test/helpers/broker.js'

// npm pack, npm install and two compilations take ~45 s alone and ~80 s on a busy machine: more than .taprc's 120 s default leaves no margin.
t.setTimeout(300_000)

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const tsc = resolve(root, 'node_modules/typescript/bin/tsc')

interface Run { code: number, stdout: string, stderr: string }

/** Runs a command; never longer than `timeoutMs`. */
async function run (command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return await new Promise(done => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (e, stdout, stderr) => {
      done({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stdout, stderr })
    })
  })
}

/** Every path under `dir` (files and folders), relative to it. */
function walk (dir: string, base = dir): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    out.push(path.slice(base.length + 1))
    if (entry.isDirectory()) out.push(...walk(path, base))
  }
  return out
}

const CHECK = `import { connect, TdError } from '@tdbroker/client'
import { connect as connectInBrowser } from '@tdbroker/client/browser'

const client = await connect({ url: process.argv[2] ?? '', reconnect: false })
const session = await client.createSession()
const answer = await session.invoke({ '@type': 'testSquareInt', x: 12 })
const value: number = answer.value
const failed = await session.invoke({ '@type': 'testReturnError', error: { '@type': 'error', code: 418, message: 'TEAPOT' } }).catch((e: unknown) => e)
console.log(JSON.stringify({ type: answer['@type'], value, error: failed instanceof TdError ? failed.code : null, browser: typeof connectInBrowser }))
client.close()
`

t.test('npm pack, install in an empty project without TDLib, a typed round trip from there', async t => {
  const built = await run(process.execPath, [tsc, '-p', 'client/tsconfig.json'], root, 120_000)
  t.equal(built.code, 0, 'the client builds')

  const work = tempDir('tdbroker-pack-')
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], resolve(root, 'client'), 120_000)
  t.equal(packed.code, 0, 'npm pack succeeds')
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
  const tarball = join(work, info[0]?.filename ?? 'missing.tgz')
  const files = (info[0]?.files ?? []).map(f => f.path)
  for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/types.d.ts', 'dist/browser.js', 'dist/browser.d.ts']) t.ok(files.includes(f), `the tarball has ${f}`)
  t.notOk(files.some(f => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests in the tarball')

  const project = join(work, 'project')
  await run('mkdir', [project], work, 5000)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }))
  const installed = await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], project, 180_000)
  t.equal(installed.code, 0, 'npm install of the tarball succeeds')
  if (installed.code !== 0) t.comment(installed.stderr)

  const tree = walk(join(project, 'node_modules'))
  t.ok(tree.includes(join('@tdbroker', 'client', 'dist', 'index.js')), '@tdbroker/client is installed')
  t.notOk(tree.some(p => /(^|\/)prebuilt-tdlib(\/|$)/.test(p)), 'no prebuilt-tdlib')
  t.notOk(tree.some(p => /(^|\/)tdl(\/|$)/.test(p)), 'no tdl')
  t.notOk(tree.some(p => /libtdjson/i.test(p)), 'no libtdjson anywhere')
  t.notOk(tree.some(p => /^@prebuilt-tdlib\/(?!types(\/|$))/.test(p)), 'of @prebuilt-tdlib only the types')
  const listed = await run('npm', ['ls', '--all', '--parseable'], project, 60_000)
  t.notMatch(listed.stdout, /prebuilt-tdlib(?!\/types)|\/tdl(\n|$)/, 'npm ls shows no TDLib package')

  // A consumer's typed script, compiled against the installed .d.ts (TDLib's types must resolve unconfigured).
  writeFileSync(join(project, 'check.ts'), CHECK)
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, types: ['node'], typeRoots: [resolve(root, 'node_modules/@types')] },
    files: ['check.ts']
  }))
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, 90_000)
  t.equal(compiled.code, 0, 'the typed script compiles against the installed package')
  if (compiled.code !== 0) t.comment(compiled.stdout)
  writeFileSync(join(project, 'wrong.ts'), CHECK.replace('const value: number', 'const value: string'))
  const wrong = await run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', '--typeRoots', resolve(root, 'node_modules/@types'), 'wrong.ts'], project, 90_000)
  t.match(wrong.stdout, /wrong\.ts.*TS2322/, 'a wrongly typed answer does not compile: the types are real, not any')

  const b = await startBroker()
  t.teardown(b.stop)
  t.ok(existsSync(join(project, 'check.js')), 'compiled to check.js')
  const ran = await run(process.execPath, ['check.js', `tcp://127.0.0.1:${b.port}`], project, 30_000)
  t.equal(ran.code, 0, 'the script exits 0')
  t.same(JSON.parse(ran.stdout.trim() || '{}'), { type: 'testInt', value: 144, error: 418, browser: 'function' }, 'a typed round trip and a TdError from the installed package; its ./browser entry resolves')
})

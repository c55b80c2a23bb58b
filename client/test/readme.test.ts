/**
 * Every `ts` block of client/README.md is real: each is type-checked and run,
 * as written, against brokers on the sandbox, and must print what the
 * `<!-- readme-test prints: TEXT -->` comments after it say.
 *
 * The convention: a ```ts block followed by one or more such comments. A ts
 * block without one fails this test (a snippet nobody checks is how READMEs
 * rot). Before running, `localhost:2345x` becomes a broker's address
 * (23456 tcp and 23458 ws on broker A, plain; 23457 tls and 23459 wss on
 * broker B, which has a `clients` list and wants the key in TDBROKER_KEY),
 * and `'@tdbroker/client'` becomes client/src/index.ts. Each snippet runs in
 * a folder holding broker B's certificate as broker-cert.pem.
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { format } from 'node:util'
import t from 'tap'
import { generateSelfSigned } from '../../src/certs/generate.js'
import { startBroker, tempDir } from '../../test/helpers/broker.js'
import { keyClient, testKey } from '../../test/helpers/clients.js'

const here = dirname(fileURLToPath(import.meta.url))
const clientIndex = resolve(here, '../src/index.ts')

interface Snippet { line: number, code: string, prints: string[] }

/** The README's ts blocks with the prints comments after each. */
export function snippets (markdown: string): Snippet[] {
  const out: Snippet[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|js|typescript|javascript)\s*$/.test(lines[i] ?? '')) continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end] !== '```') end++
    const prints: string[] = []
    let j = end + 1
    for (; j < lines.length; j++) {
      const m = /^<!-- readme-test prints: (.*) -->$/.exec(lines[j] ?? '')
      if (m === null) break
      prints.push(m[1] as string)
    }
    out.push({ line: start, code: lines.slice(start, end).join('\n'), prints })
    i = j - 1
  }
  return out
}

const ALLOWED_REQUESTS = ['testSquareInt', 'testCallString', 'getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode',
  'checkAuthenticationPassword', 'checkAuthenticationBotToken', 'getMe', 'getChats', 'getChat', 'sendMessage', 'downloadFile', 'readFilePart']
const ALLOWED_UPDATES = ['updateNewMessage', 'updateMessageSendSucceeded', 'updateNewChat']
const SANDBOX = { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' }

t.test('every ts block of client/README.md type-checks, runs and prints what it says', async t => {
  const readme = readFileSync(resolve(here, '../README.md'), 'utf8')
  const blocks = snippets(readme)
  t.ok(blocks.length >= 9, `found ${blocks.length} ts blocks`)
  for (const b of blocks) t.ok(b.prints.length > 0, `the block at README line ${b.line} says what it prints`)

  const dir = tempDir('tdbroker-readme-')
  const pair = await generateSelfSigned({ altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }] })
  writeFileSync(join(dir, 'broker-cert.pem'), pair.cert)
  writeFileSync(join(dir, 'broker-key.pem'), pair.key)
  // The snippets are ES modules (top-level await), as in a project with "type": "module".
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  const key = await testKey()
  const a = await startBroker({ tdlib: SANDBOX, allowed_requests: ALLOWED_REQUESTS, allowed_updates: ALLOWED_UPDATES, websocket: { host: '127.0.0.1', port: 0, path: '/tdbroker' } })
  t.teardown(a.stop)
  const b = await startBroker({
    tdlib: SANDBOX, allowed_requests: ALLOWED_REQUESTS, allowed_updates: ALLOWED_UPDATES,
    tls: { host: '127.0.0.1', port: 0, cert: 'broker-cert.pem', key: 'broker-key.pem', verify_clients: false },
    websocket: { host: '127.0.0.1', port: 0, tls: true },
    clients: [keyClient('backend', key)]
  }, { dir })
  t.teardown(b.stop)
  const ports: Record<string, number> = {
    23456: a.port,
    23458: a.broker.addresses.websocket?.port ?? 0,
    23457: b.broker.addresses.tls?.port ?? 0,
    23459: b.broker.addresses.websocket?.port ?? 0
  }
  const files = blocks.map((block, n) => {
    const code = block.code
      .replace(/localhost:(2345\d)/g, (_, p: string) => `127.0.0.1:${ports[p] ?? 'no-such-port'}`)
      .replace(/'@tdbroker\/client'/g, `'${clientIndex.replace(/\.ts$/, '.js')}'`)
    const file = join(dir, `snippet-${n}.ts`)
    writeFileSync(file, code + '\nexport {}\n')
    return file
  })

  await t.test('they type-check against the client', async t => {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
        types: ['node', '@prebuilt-tdlib/types'], typeRoots: [resolve(here, '../../node_modules/@types'), resolve(here, '../../node_modules')]
      },
      files: files.map(f => f)
    }))
    const tsc = resolve(here, '../../node_modules/typescript/bin/tsc')
    const result = await new Promise<{ code: number, out: string }>(resolve => {
      execFile(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { timeout: 90_000, cwd: dir }, (e, stdout, stderr) => {
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, out: stdout + stderr })
      })
    })
    t.equal(result.code, 0, 'tsc found no errors')
    if (result.code !== 0) t.comment(result.out)
  })

  process.env.TDBROKER_KEY = key.key
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => { process.chdir(cwd) })
  for (const [n, block] of blocks.entries()) {
    await t.test(`README line ${block.line}`, async t => {
      const printed: string[] = []
      let wake = (): void => {}
      const capture = (...args: unknown[]): void => { printed.push(format(...args)); wake() }
      const saved = { log: console.log, error: console.error }
      console.log = capture
      console.error = (...args: unknown[]) => { capture('console.error:', ...args) }
      const all = (): boolean => block.prints.every(p => printed.some(line => line.includes(p)))
      try {
        await import(pathToFileURL(files[n] as string).href)
        // A snippet may end with a promise it does not await (tdl's main().catch(...)): wait for its prints.
        const deadline = Date.now() + 30_000
        while (!all() && Date.now() < deadline) {
          await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 500) })
        }
      } finally {
        console.log = saved.log
        console.error = saved.error
      }
      for (const p of block.prints) t.ok(printed.some(line => line.includes(p)), `printed "${p}"`)
      t.notOk(printed.some(line => line.startsWith('console.error:')), 'nothing on console.error')
      if (!all() || printed.some(line => line.startsWith('console.error:'))) t.comment(printed.join('\n'))
    })
  }
})

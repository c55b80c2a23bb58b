/**
 * tdl's own README example, as tdl ships it (node_modules/tdl/README.md),
 * run against a broker on the sandbox. Only how the client is created
 * changes: the lines from `const tdl = require('tdl')` to the end of
 * `tdl.createClient({...})` become one import and one createClient call.
 * Everything after runs as written, including `client.login()` with no
 * arguments, which asks on the terminal: the test answers on stdin.
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'
import { startBroker, tempDir } from '../../test/helpers/broker.js'
import { ALICE } from '../../test/resolve/helpers.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const tsLoader = pathToFileURL(resolve(root, 'node_modules/@tapjs/typescript/dist/esm/import.mjs')).href

/** The first javascript block of tdl's README that creates a client. */
function tdlExample (): string {
  const readme = readFileSync(resolve(root, 'node_modules/tdl/README.md'), 'utf8')
  for (const m of readme.matchAll(/```javascript\n([\s\S]*?)```/g)) {
    if (m[1]?.includes('tdl.createClient(') === true) return m[1]
  }
  throw new Error("no tdl.createClient example in tdl's README")
}

t.test("tdl's README example runs unchanged against a broker session, but for how the client is made", async t => {
  const example = tdlExample()
  const creation = /const tdl = require\('tdl'\)[\s\S]*?const client = tdl\.createClient\(\{[\s\S]*?\n\}\)\n/
  t.match(example, creation, 'the example creates its client with tdl.createClient')
  const rest = example.replace(creation, '')
  t.match(rest, /await client\.login\(\)/, 'it logs in with no arguments (tdl asks on the terminal)')
  t.notMatch(rest, /tdl\.|require\(/, 'nothing of tdl is left after the creation')

  const b = await startBroker({
    tdlib: { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' },
    allowed_requests: ['getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'getMe', 'getChats']
  })
  t.teardown(b.stop)
  const dir = tempDir('tdbroker-tdl-readme-')
  // An ES module (top-level await for the one created client), as in a project with "type": "module".
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  const file = join(dir, 'example.ts')
  const creationHere = `import { createClient } from ${JSON.stringify(pathToFileURL(resolve(root, 'client/src/index.js')).href)}\n` +
    `const client = await createClient({ url: ${JSON.stringify(`tcp://127.0.0.1:${b.port}`)} })\n`
  writeFileSync(file, creationHere + rest)

  const child = spawn(process.execPath, ['--import', tsLoader, file], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const answers = [{ prompt: 'Please enter your phone number: ', answer: ALICE.phone }, { prompt: 'Please enter the auth code you received: ', answer: '12345' }]
  const asked: string[] = []
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    const next = answers[0]
    if (next !== undefined && stdout.includes(next.prompt)) {
      answers.shift()
      asked.push(next.prompt)
      child.stdin.write(next.answer + '\n')
    }
  })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const killer = setTimeout(() => { child.kill('SIGKILL') }, 90_000)
  const code = await new Promise<number | null>(resolve => { child.on('close', resolve) })
  clearTimeout(killer)

  t.equal(code, 0, 'the example exits by itself (client.close() ends it)')
  t.same(asked, ['Please enter your phone number: ', 'Please enter the auth code you received: '], "asked with tdl's prompts, and answered")
  t.match(stdout, /Received update: \{\s*_: 'update/, "updates reached client.on('update') in tdl's shape")
  t.match(stdout, new RegExp(`My user: \\{\\s*_: 'user',\\s*id: ${ALICE.id}`), 'getMe answered')
  t.match(stdout, /A part of my chat list: \{\s*_: 'chats'/, 'getChats answered')
  t.notMatch(stdout, /'@type'/, 'no wire-form object leaked out')
  t.equal(stderr.replace(/\(node:\d+\) ExperimentalWarning[^\n]*\n(\(Use `node --trace-warnings[^\n]*\n)?/g, ''), '', 'nothing on stderr (client.on("error", console.error) printed nothing)')
  if (code !== 0) t.comment(stdout.slice(-3000), stderr.slice(-3000))
})

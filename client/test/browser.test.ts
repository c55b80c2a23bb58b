/**
 * The client in a real browser: headless Chromium (Debian's `chromium`,
 * driven by playwright-core) loads the client's compiled ES modules from a
 * local HTTP server with no bundler, connects to a broker on the sandbox over
 * ws://, logs in, invokes requests and receives an update. Before that, the
 * browser entry's import graph is checked: relative modules only, no node:
 * module and no package.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, normalize, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'
import { startBroker, tempDir } from '../../test/helpers/broker.js'
import { ALICE } from '../../test/resolve/helpers.js'
import { within } from './helpers.js'

t.setTimeout(240_000)

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SANDBOX = { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' }

/** Compiles the client into `out` (its own folder: other tests may build client/dist at the same time). */
async function build (out: string): Promise<{ code: number, output: string }> {
  const tsc = resolve(root, 'node_modules/typescript/bin/tsc')
  return await new Promise(done => {
    execFile(process.execPath, [tsc, '-p', 'client/tsconfig.json', '--outDir', out, '--declaration', 'false', '--sourceMap', 'false'],
      { cwd: root, timeout: 120_000 }, (e, stdout, stderr) => { done({ code: e === null ? 0 : 1, output: stdout + stderr }) })
  })
}

/** Every module specifier a compiled file names: static imports and exports, and import(). */
function specifiers (code: string): string[] {
  const out: string[] = []
  for (const m of code.matchAll(/(?:\bimport|\bexport)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)) {
    out.push((m[1] ?? m[2] ?? m[3]) as string)
  }
  // An import() of anything but a string literal could load anything: count it as a specifier that fails the check.
  for (const m of code.matchAll(/\bimport\s*\(\s*(?!['"`])([^)]*)\)/g)) out.push(`<computed: ${m[1] ?? ''}>`)
  return out
}

/** The modules reachable from `entry`, and every specifier that is not a relative path to an existing file. */
function importGraph (entry: string): { files: string[], bad: string[] } {
  const seen = new Set<string>()
  const bad: string[] = []
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec)
      if (!spec.startsWith('./') && !spec.startsWith('../')) bad.push(`${file.slice(dirname(entry).length + 1)}: ${spec}`)
      else if (!existsSync(target)) bad.push(`${file.slice(dirname(entry).length + 1)}: ${spec} (no such file)`)
      else visit(target)
    }
  }
  visit(entry)
  return { files: [...seen], bad }
}

/** Serves `dir` under /client/ and a blank page at /; records every path asked for. */
async function serve (dir: string): Promise<{ origin: string, asked: string[], missing: string[], close: () => Promise<void> }> {
  const asked: string[] = []
  const missing: string[] = []
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    asked.push(path)
    if (path === '/favicon.ico') { res.writeHead(204).end(); return }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>tdbroker client</title><p>browser test</p>')
      return
    }
    const file = normalize(join(dir, path.replace(/^\/client\//, '')))
    if (!path.startsWith('/client/') || !file.startsWith(dir) || !existsSync(file)) {
      missing.push(path)
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file))
  })
  await new Promise<void>(done => { server.listen(0, '127.0.0.1', done) })
  const port = (server.address() as AddressInfo).port
  return {
    origin: `http://127.0.0.1:${port}`,
    asked,
    missing,
    close: async () => { server.closeAllConnections(); await new Promise<void>(done => { server.close(() => { done() }) }) }
  }
}

t.test('the browser entry imports relative modules only: no node: module, no package', async t => {
  const out = tempDir('tdbroker-browser-build-')
  const built = await build(out)
  t.equal(built.code, 0, 'the client compiles')
  if (built.code !== 0) { t.comment(built.output); return }
  const graph = importGraph(join(out, 'browser.js'))
  t.same(graph.bad, [], 'every import of the browser entry, at any depth, is a relative file')
  t.ok(graph.files.some(f => f.endsWith('client.js')) && graph.files.some(f => f.endsWith('transport-browser.js')), 'the graph reaches the client and the browser transport')
  t.notOk(graph.files.some(f => /transport-node\.js$|tdl\.js$/.test(f)), "Node's transport and the tdl face are not in it")
  // The check itself must be able to fail: the Node entry does import node: modules and ws.
  const node = importGraph(join(out, 'index.js'))
  t.ok(node.bad.some(b => b.includes('node:net')) && node.bad.some(b => b.endsWith(': ws')), `the same check flags the Node entry (${node.bad.length} imports)`)
})

t.test('headless Chromium: connect over ws://, log in, invoke, receive an update', async t => {
  t.ok(existsSync(CHROMIUM), `Chromium is installed at ${CHROMIUM} (Debian package chromium)`)
  const out = tempDir('tdbroker-browser-build-')
  const built = await build(out)
  t.equal(built.code, 0, 'the client compiles')
  const site = await serve(out)
  t.teardown(site.close)
  const b = await startBroker({
    tdlib: SANDBOX,
    allowed_requests: ['getAuthorizationState', 'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'getMe', 'sendMessage'],
    allowed_updates: ['updateNewMessage'],
    websocket: { host: '127.0.0.1', port: 0, path: '/tdbroker', allowed_origins: [site.origin] }
  })
  t.teardown(b.stop)
  const wsUrl = `ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/tdbroker`

  const browser: Browser = await within(chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 60_000 }), 90_000, 'launching Chromium')
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  page.setDefaultTimeout(60_000)
  const pageErrors: string[] = []
  page.on('pageerror', e => { pageErrors.push(e.message) })
  page.on('console', m => { if (m.type() === 'error') pageErrors.push(m.text()) })
  await page.goto(`${site.origin}/`)

  const result = await within(page.evaluate(async ({ url, phone }) => {
    const m = await import('/client/browser.js' as string) as typeof import('../src/browser.js')
    const client = await m.connect({ url, requestTimeoutMs: 30_000 })
    const session = await client.createSession()
    await m.login(session, { getPhoneNumber: () => phone, getAuthCode: () => '12345' })
    const me = await session.invoke({ '@type': 'getMe' })
    const refused = await session.invoke({ '@type': 'testSquareInt', x: 3 }).then(() => 'answered', (e: unknown) =>
      e instanceof m.TdError ? `${e.code} ${e.brokerError ?? ''}` : String(e))
    const iterator = session.updates({ bufferSize: 100 })
    const event = session.waitFor(u => u['@type'] === 'updateNewMessage', 30_000)
    await session.invoke({
      '@type': 'sendMessage', chat_id: me.id,
      input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: 'from the browser', entities: [] } }
    })
    const byEvent = await event as { message: { content: { text?: { text: string } } } }
    let byIterator = ''
    for await (const u of iterator) {
      if (u['@type'] === 'updateNewMessage') { byIterator = (u as unknown as typeof byEvent).message.content.text?.text ?? ''; break }
    }
    const tcp = await m.connect({ url: 'tcp://127.0.0.1:1' }).then(() => 'connected', (e: unknown) => (e as Error).message)
    client.close()
    return {
      state: client.state,
      me: { type: me['@type'], id: me.id },
      refused,
      byEvent: byEvent.message.content.text?.text,
      byIterator,
      tcp,
      // What the page is: a browser, with no Node globals to lean on.
      node: typeof (globalThis as { process?: unknown }).process !== 'undefined' || typeof (globalThis as { Buffer?: unknown }).Buffer !== 'undefined'
    }
  }, { url: wsUrl, phone: ALICE.phone }), 120_000, 'the page script')

  t.match(result.me, { type: 'user', id: ALICE.id }, 'getMe answered, typed, in the browser')
  t.equal(result.refused, '403 REQUEST_NOT_ALLOWED', 'a refused request is a TdError with the broker error name')
  t.equal(result.byEvent, 'from the browser', 'the update arrived as an event')
  t.equal(result.byIterator, 'from the browser', 'and through the async iterator')
  t.match(result.tcp, /unsupported broker URL tcp:.*ws:\/\/, wss:\/\//, 'tcp:// is refused with a clear error in a browser')
  t.equal(result.state, 'closed')
  t.equal(result.node, false, 'no process or Buffer in the page: this is a browser')
  t.same(site.missing, [], 'every module the page asked for was served')
  t.ok(site.asked.includes('/client/browser.js') && site.asked.includes('/client/client.js'), 'the page loaded the compiled modules from the server')
  t.notOk(site.asked.some(p => /transport-node|tdl\.js/.test(p)), "the page never asked for Node's transport")
  t.same(pageErrors, [], 'no error in the page')
})

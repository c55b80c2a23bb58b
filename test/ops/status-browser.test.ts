/**
 * The status page in headless Chromium (Debian's chromium, driven by
 * playwright-core): it takes the token from the URL fragment, shows a
 * session, then a client attaching to it and detaching from it as it
 * happens, without a reload. Skipped only when no chromium binary exists.
 */
import { existsSync } from 'node:fs'
import t from 'tap'
import { chromium, type Page } from 'playwright-core'
import { startBroker } from '../helpers/broker.js'
import { connectAs, keyClient, testKey } from '../helpers/clients.js'

const TOKEN = 'browser-token-0123456789abcdef'
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p))
/** Bounds every wait on the page: the page polls every 2 s, a loaded machine may be slow. */
const WAIT_MS = 20_000

/** The text of the session's row in the sessions table ('' while it has none). */
async function sessionRow (page: Page, session: string): Promise<string> {
  return await page.locator(`#sessions tr[data-session="${session}"]`).innerText({ timeout: WAIT_MS })
}

t.test('the page follows an attach and a detach without reloading', { skip: CHROMIUM === undefined ? 'no chromium binary (apt-get install chromium)' : false }, async t => {
  const ownerKey = await testKey()
  const watcherKey = await testKey()
  const b = await startBroker({ admin: { port: 0, token: TOKEN }, clients: [keyClient('owner', ownerKey), keyClient('watcher', watcherKey)] })
  t.teardown(b.stop)
  const owner = await connectAs(b.port, 'owner', ownerKey)
  t.teardown(() => { owner.close() })
  const created = await owner.request({ '@type': 'broker.createSession', attach: false }, 30_000)
  t.equal(created['@type'], 'broker.session')
  const session = String(created.session)

  // Root runs chromium without its sandbox (it refuses otherwise); the page is our own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  page.setDefaultTimeout(WAIT_MS)
  const problems: string[] = []
  page.on('pageerror', e => { problems.push(e.message) })
  page.on('console', m => { if (m.type() === 'error') problems.push(m.text()) })
  await page.goto(`http://127.0.0.1:${b.broker.addresses.admin!.port}/#token=${TOKEN}`, { timeout: WAIT_MS })

  const row = page.locator(`#sessions tr[data-session="${session}"]`)
  await row.waitFor({ state: 'visible' })
  t.match(await sessionRow(page, session), /owner/, 'the session is shown, with the client that created it')
  t.notMatch(await sessionRow(page, session), /watcher/, 'nobody attached yet')
  t.equal(new URL(page.url()).hash, '', 'the token left the address bar')
  const loadedAt = await page.evaluate(() => performance.timeOrigin)

  const watcher = await connectAs(b.port, 'watcher', watcherKey)
  t.teardown(() => { watcher.close() })
  t.equal((await watcher.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached')
  const attachedRow = page.locator(`#sessions tr[data-session="${session}"]`, { hasText: 'watcher' })
  await attachedRow.waitFor({ state: 'visible', timeout: WAIT_MS })
  t.pass('the attach shows up')
  t.match(await page.locator('#clients tr[data-client="watcher"]').innerText(), /watcher\s+1/, 'and the client with its one connection')

  t.equal((await watcher.request({ '@type': 'broker.detachSession', session }))['@type'], 'broker.detached')
  await attachedRow.waitFor({ state: 'detached', timeout: WAIT_MS })
  t.match(await sessionRow(page, session), /owner/, 'the session is still shown')
  t.pass('the detach shows up')
  t.equal(await page.evaluate(() => performance.timeOrigin), loadedAt, 'all without a reload')
  t.match(await page.locator('#mysql').innerText(), /not configured/)
  t.match(await page.locator('#cluster').innerText(), /not configured/)
  t.same(problems, [], 'no script errors and no CSP violations on the page')
})

t.test('without the token the page asks for it, and shows the status once given', { skip: CHROMIUM === undefined ? 'no chromium binary (apt-get install chromium)' : false }, async t => {
  const b = await startBroker({ admin: { port: 0, token: TOKEN } })
  t.teardown(b.stop)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  page.setDefaultTimeout(WAIT_MS)
  await page.goto(`http://127.0.0.1:${b.broker.addresses.admin!.port}/status`, { timeout: WAIT_MS })
  await page.locator('#login').waitFor({ state: 'visible' })
  t.match(await page.locator('#problem').innerText(), /needs its token/, 'says why it shows nothing')
  await page.locator('#token').fill('a-wrong-token-of-some-length')
  await page.locator('#login button').click()
  await page.locator('#problem', { hasText: 'refused' }).waitFor({ timeout: WAIT_MS })
  t.pass('a wrong token is refused')
  await page.locator('#token').fill(TOKEN)
  await page.locator('#login button').click()
  await page.locator('#login').waitFor({ state: 'hidden' })
  await page.locator('#summary', { hasText: 'running' }).waitFor({ timeout: WAIT_MS })
  t.pass('the right one shows the status')
})

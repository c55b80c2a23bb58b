import t from 'tap'
import { join } from 'node:path'
import { checkConfig } from '../../src/cli/check-config.js'
import { siptgFixture } from './fixtures/helpers.js'

async function run (file: string): Promise<{ code: number, lines: string[] }> {
  const lines: string[] = []
  const code = await checkConfig(file, line => lines.push(line))
  return { code, lines }
}

t.test('valid settings: OK, the warnings, then the effective settings with secrets masked', async t => {
  const { code, lines } = await run(siptgFixture)
  t.equal(code, 0)
  t.equal(lines[0], `settings OK: ${siptgFixture}`)
  const warnings = lines.filter(l => l.startsWith('warning: '))
  t.same(warnings, [
    'warning: /tdlib/api_hash: is not the 32 hexadecimal digits that my.telegram.org issues, so Telegram will likely refuse it',
    'warning: /allowed_requests/14: receiveCall is not a TDLib 1.8.65 request type; is it a typo?',
    'warning: /allowed_requests/16: restoreCall is not a TDLib 1.8.65 request type; is it a typo?',
    'warning: /allowed_requests/21: "checkAuthenticationBotToken" is listed more than once',
    "warning: /clients: not set, so every connection is trusted: anyone who can reach the broker's ports has full access to every session (declare clients: docs/clients.md)",
  ])
  t.same(lines.slice(1, 1 + warnings.length), warnings, 'warnings come right after the verdict')
  const effective = JSON.parse(lines.slice(1 + warnings.length).join('\n'))
  t.equal(effective.tdlib.api_hash, '********')
  t.equal(effective.offline, false)
  t.equal(effective.port, 23456)
  t.notOk(lines.some(l => l.includes('API_HASH')), 'the real api_hash is never printed')
})

t.test('invalid settings: the verdict, then one problem per line, exit code 1', async t => {
  const dir = t.testdir({
    'bad.json': JSON.stringify({ hots: 'x', tdlib: { proxy: { type: 'http', host: 'h', port: '80a' } } }),
  })
  const file = join(dir, 'bad.json')
  const { code, lines } = await run(file)
  t.equal(code, 1)
  t.same(lines, [
    `settings invalid: ${file}`,
    '/: unknown key "hots" (did you mean "host"?)',
    '/tdlib/proxy/port: must be an integer from 1 to 65535 (got "80a")',
  ])
})

t.test('a missing file and broken JSON are reported the same way', async t => {
  const dir = t.testdir({ 'broken.json': '{ "port": 1,, }' })
  const missing = await run(join(dir, 'none.json'))
  t.equal(missing.code, 1)
  t.same(missing.lines, [`settings invalid: ${join(dir, 'none.json')}`, 'file not found'])
  const broken = await run(join(dir, 'broken.json'))
  t.equal(broken.code, 1)
  t.match(broken.lines[1], /^invalid JSON at line 1, column 13: /)
})

/**
 * docs/connecting.md as written: the login walkthrough (on the sandbox, with
 * its phone, code and password in place of the placeholders) and the three
 * ways to connect over TLS, against the compiled broker started on
 * docs/examples/settings.tls-clients.json. Ports are swapped for free ones so
 * the test runs beside others; nothing else in a command is changed.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helpers/broker.js'
import { CLI, ROOT, runCommand as run, startCli, stopCli as stop } from '../helpers/cli.js'

const DOC = readFileSync(join(ROOT, 'docs/connecting.md'), 'utf8')
const block = (lang: string): string[] => [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(m => (m[1] as string).trim())
const sh = block('sh')
const json = block('json')
const js = block('js')
const DOC_SESSION = '3539589157407763411'

async function freePort (): Promise<number> {
  return await new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => { resolve(port) })
    })
  })
}

const parsed = (out: string): Array<Record<string, unknown>> => out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)

t.test('the login walkthrough, on the sandbox', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const port = await freePort()
  const broker = await startCli(dir, ['start', '--sandbox', '--port', String(port)], /listening on /)
  t.teardown(async () => { await stop(broker) })
  const swapPort = (s: string): string => s.replaceAll('23456', String(port))

  t.equal(sh[0], 'socat - TCP:localhost:23456')
  const [open = '', ...rest] = (sh[0] as string).split(' ')
  const socat = spawn(open, swapPort(rest.join(' ')).split(' '), { stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(() => { socat.kill() })
  let out = ''
  socat.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const waitFor = async (pred: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 10_000
    for (;;) {
      const hit = parsed(out).find(pred)
      if (hit !== undefined) return hit
      if (Date.now() > deadline) throw new Error(`no ${what} in: ${out}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  const state = (name: string) => (m: Record<string, unknown>) => m['@type'] === 'updateAuthorizationState' && (m.authorization_state as { '@type': string })['@type'] === name

  t.equal(json.length, 4, 'four login lines')
  socat.stdin.write(`${json[0] as string}\n`)
  const created = await waitFor(m => m['@type'] === 'broker.session' && m['@extra'] === 'new', 'broker.session')
  const session = String(created.session)
  await waitFor(state('authorizationStateWaitPhoneNumber'), 'WaitPhoneNumber')
  const sandboxed = (line: string): string => line.replaceAll(DOC_SESSION, session).replace('+15551234567', '+15550001002').replace('your 2FA password', 'sandbox')
  const steps: Array<[string, string]> = [['phone', 'authorizationStateWaitCode'], ['code', 'authorizationStateWaitPassword'], ['password', 'authorizationStateReady']]
  for (const [i, [extra, next]] of steps.entries()) {
    const line = json[i + 1] as string
    t.match(line, `"@extra":"${extra}"`)
    socat.stdin.write(`${sandboxed(line)}\n`)
    const answer = await waitFor(m => m['@extra'] === extra, `answer to ${extra}`)
    t.equal(answer['@type'], 'ok', `${extra} answered ok`)
    await waitFor(state(next), next)
  }
  socat.stdin.end()

  t.match(sh[1], /^echo '\{"@type":"broker.listSessions"\}' \| socat -t1 - TCP:localhost:23456$/)
  const listed = parsed(await run('bash', ['-c', swapPort(sh[1] as string)], dir))
  const entry = (listed[0]?.sessions as Array<Record<string, unknown>> | undefined)?.find(s => s.session === session)
  t.ok(entry, 'broker.listSessions finds the session again')
})

t.test('the TLS example settings, and socat, openssl and Node connecting with the client certificate', async t => {
  const dir = tempDir()
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'storage'))
  const [plainPort, tlsPort] = [await freePort(), await freePort()]
  const example = JSON.parse(readFileSync(join(ROOT, 'docs/examples/settings.tls-clients.json'), 'utf8')) as Record<string, unknown> & { tls: Record<string, unknown> }
  t.equal(example.port, 23456)
  t.equal(example.tls.port, 50002)
  writeFileSync(join(dir, 'storage/settings.json'), JSON.stringify({ ...example, port: plainPort, tls: { ...example.tls, port: tlsPort } }))

  const certCommand = sh.find(c => c.includes('cert create')) ?? ''
  t.equal(certCommand, 'node dist/src/cli/main.js cert create --dir storage/ssl')
  await run(process.execPath, [CLI, ...certCommand.split(' ').slice(2)], dir)

  const broker = await startCli(dir, ['start'], /listening on .*TLS/)
  t.teardown(async () => { await stop(broker) })
  t.match(broker.output(), new RegExp(`listening on 127\\.0\\.0\\.1:${plainPort}( and \\[::1\\]:${plainPort})? \\(plain TCP, newline-delimited JSON\\)`))
  t.match(broker.output(), new RegExp(`listening on \\[::\\]:${tlsPort} \\(TLS, client certificates required\\)`))
  const swap = (s: string): string => s.replaceAll('50002', String(tlsPort))

  const socatLine = sh.find(c => c.includes('OPENSSL:')) ?? ''
  const viaSocat = parsed(await run('bash', ['-c', swap(socatLine)], dir))
  t.match(viaSocat, [{ '@type': 'broker.sessions', sessions: [], '@extra': 'tls' }], 'socat: the certificate is client gateway (listSessions needs an identified client)')

  const opensslLine = sh.find(c => c.includes('openssl s_client')) ?? ''
  const viaOpenssl = parsed(await run('bash', ['-c', swap(opensslLine)], dir))
  t.match(viaOpenssl, [{ '@type': 'broker.pong', '@extra': 'openssl' }], 'openssl s_client')

  t.equal(js.length, 1)
  writeFileSync(join(dir, 'ping.mjs'), swap(js[0] as string))
  const viaNode = parsed(await run(process.execPath, ['ping.mjs'], dir))
  t.match(viaNode, [{ '@type': 'broker.sessions', '@extra': 'node' }], 'node:tls')

})

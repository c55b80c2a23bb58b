/**
 * The container health check, dist/src/admin/health-probe.js SETTINGS: with
 * an admin section it passes only on /readyz 200 (sending the token), without
 * one it falls back to `tdbroker status`. Runs the compiled file as Docker does.
 */
import { execFile } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startBroker, tempDir } from '../helpers/broker.js'
import { ROOT } from '../helpers/cli.js'

const PROBE = join(ROOT, 'dist/src/admin/health-probe.js')
const TOKEN = 'probe-token-0123456789abcdef'

async function probe (settings: Record<string, unknown>): Promise<{ code: number | null, out: string }> {
  const dir = tempDir()
  const file = join(dir, 'settings.json')
  writeFileSync(file, JSON.stringify({ tdlib: { api_id: 94575, api_hash: 'test', path: 'sessions' }, ...settings }))
  try {
    return await new Promise(resolve => {
      execFile(process.execPath, [PROBE, file], { timeout: 30_000 }, (e, stdout, stderr) => {
        resolve({ code: e === null ? 0 : (e as { code?: number }).code ?? null, out: stdout + stderr })
      })
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

t.test('with admin it asks /readyz with the token; without, tdbroker status', async t => {
  const b = await startBroker({ admin: { host: '127.0.0.1', port: 0, token: TOKEN } })
  t.teardown(b.stop)
  const admin = b.broker.addresses.admin!.port
  const ready = await probe({ host: '127.0.0.1', port: b.port, admin: { host: '127.0.0.1', port: admin, token: TOKEN } })
  t.equal(ready.code, 0, 'healthy while /readyz is 200')
  t.match(ready.out, /\/readyz answered 200: .*"status":"ready"/)
  const wrong = await probe({ host: '127.0.0.1', port: b.port, admin: { host: '127.0.0.1', port: admin, token: 'another-token-0123456789' } })
  t.equal(wrong.code, 1, 'a refused token is unhealthy')
  t.match(wrong.out, /\/readyz answered 401/)
  const fallback = await probe({ host: '127.0.0.1', port: b.port })
  t.equal(fallback.code, 0, 'no admin section: tdbroker status answers')
  t.match(fallback.out, /sessions_known/)
  await b.stop()
  const down = await probe({ host: '127.0.0.1', port: b.port, admin: { host: '127.0.0.1', port: admin, token: TOKEN } })
  t.equal(down.code, 1, 'no broker: unhealthy')
  t.match(down.out, /\/readyz on 127\.0\.0\.1:\d+: .*ECONNREFUSED/)
})

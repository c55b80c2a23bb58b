/**
 * The command as README.md runs it: `tdbroker-payments start --config FILE`
 * with the secrets in the environment starts the desk against a broker on the
 * sandbox, and stops cleanly on SIGINT; `operator` reads with a read-only
 * token. Run from the source through the test runner's TypeScript loader.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startPaymentsWorld, within } from './helpers.js'

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cli.ts')

function run (args: string[], env: Record<string, string>, expect: RegExp): Promise<{ printed: string, code: number | null }> {
  const child = spawn(process.execPath, [...process.execArgv.filter(a => a.includes('typescript')), cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let printed = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  return within(new Promise<{ printed: string, code: number | null }>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { printed += d.toString(); if (expect.test(printed)) child.kill('SIGINT') })
    child.on('exit', code => { if (expect.test(printed)) resolve({ printed, code }); else reject(new Error(`exited ${String(code)}: ${printed} ${stderr}`)) })
  }), 30_000, `tdbroker-payments ${args[0] ?? ''}`).finally(() => { child.kill('SIGKILL') })
}

t.test('start and operator, as the README runs them', async t => {
  const w = await startPaymentsWorld()
  t.teardown(w.stop)
  const file = join(w.dir, 'payments.json')
  writeFileSync(file, JSON.stringify({
    broker: { url: `tcp://127.0.0.1:${w.port}`, client: 'payments-app' },
    account_session: w.accountSession,
    bot_api: { api_root: w.apiRoot },
    webhook: { host: '127.0.0.1', port: 0, path: '/payments-hook' },
    operators: [{ name: 'Olga', user_id: 1000102 }]
  }))
  const started = await run(['start', '--config', file], { PAYMENTS_BROKER_KEY: w.appKey.key, PAYMENTS_BOT_TOKEN: w.tokens.backend, PAYMENTS_WEBHOOK_SECRET: 'hook-secret' }, /payments desk running as @payments_sandbox_bot, webhook http:\/\/127\.0\.0\.1:\d+\/payments-hook/)
  t.equal(started.code, 0, 'start stopped cleanly on SIGINT')
  const operator = await run(['operator', '--config', file], { PAYMENTS_OPERATOR_TOKEN: w.tokens.olga }, /reading customers' messages as @payments_sandbox_bot \(read-only\)/)
  t.equal(operator.code, 0, 'operator stopped cleanly on SIGINT')
})

/**
 * Per-thread CPU of one broker under 100 requests in flight over one
 * connection, second by second: shows which thread (main, tdl's receive
 * thread, TDLib's, libuv's) a change moves, and whether the rate is steady.
 *   node dist/bench/tools/thread-cpu.js [--root=DIR] [--seconds=N] [--inflight=N]
 * DIR is a compiled checkout whose dist/bench/child/broker.js is measured (default: this one).
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { readFileSync, readdirSync } from 'node:fs'
import { BenchClient, createSession } from '../lib/client.js'
import { Child, killAllChildren } from '../lib/child.js'
import { removeAllFolders, tempFolder } from '../lib/temp.js'
import { sleep } from '../lib/stats.js'
import { BENCH_CREDENTIALS } from '../lib/direct.js'
import { waitForState } from '../lib/sides.js'

const HERE = fileURLToPath(new URL('../../../', import.meta.url))

/** CPU µs so far of every thread of `pid`, by "name/tid". */
function threads (pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(`${name}/${tid}`, (Number(f[11]) + Number(f[12])) * 1e4)
    } catch { /* ended meanwhile */ }
  }
  return out
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const root = args.find(a => a.startsWith('--root='))?.slice(7) ?? HERE
  const seconds = Number(args.find(a => a.startsWith('--seconds='))?.slice(10) ?? 8)
  const inFlight = Number(args.find(a => a.startsWith('--inflight='))?.slice(11) ?? 100)
  const child = new Child('broker', pathToFileURL(join(root, 'dist/bench/child/broker.js')))
  const settings = { debug_level: 4, logfile: 'broker.log', allowed_requests: ['testSquareInt', 'getAuthorizationState'], host: '127.0.0.1', port: 0, tdlib: { path: 'sessions', ...BENCH_CREDENTIALS } }
  const started = await child.call<{ tcp: number }>('start', { settings, dir: tempFolder() })
  const client = await BenchClient.connect('tcp', { ports: { tcp: started.tcp } })
  const session = await createSession(client)
  await waitForState(client, session)
  const prefix = `{"@type":"testSquareInt","x":3,"@session":"${session}"`
  let stop = false
  let done = 0
  const loops = Array.from({ length: inFlight }, async () => {
    while (!stop) { await client.requestPrefix(prefix); done++ }
  })
  await sleep(500)
  let before = threads(child.pid)
  let doneBefore = done
  for (let s = 0; s < seconds; s++) {
    await sleep(1000)
    const now = threads(child.pid)
    const n = done - doneBefore
    const per = [...now].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / n] as const).filter(([, v]) => v > 0.05).sort((a, b) => b[1] - a[1])
    const total = per.reduce((a, [, v]) => a + v, 0)
    process.stdout.write(`${n}/s  ${total.toFixed(1)} µs/req: ${per.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} (load ${loadavg()[0]!.toFixed(2)})\n`)
    before = now
    doneBefore = done
  }
  stop = true
  await Promise.all(loops)
  client.close()
  await child.stop()
}

main().then(() => { removeAllFolders(); process.exit(0) }, (e: unknown) => {
  killAllChildren()
  removeAllFolders()
  process.stderr.write(`thread-cpu failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exit(1)
})

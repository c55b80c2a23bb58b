/**
 * What an idle session holds in the broker's JS heap: a broker in this
 * process (real TDLib, network off, the memory part's settings), N idle
 * sessions then 2N, a heap snapshot after each; prints the growth per
 * session by object kind (V8 node type and constructor or string), largest
 * first.
 *   node --expose-gc dist/bench/tools/session-heap.js [--sessions=N] [--top=K]
 */
import { writeHeapSnapshot } from 'node:v8'
import { join } from 'node:path'
import { Broker } from '../../src/broker.js'
import { createLogger } from '../../src/log/logger.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { createBackend } from '../../src/tdlib/create-backend.js'
import { BenchClient } from '../lib/client.js'
import { benchBrokerSettings, offlineBackend } from '../lib/broker-setup.js'
import { MEMORY_BROKER_SETTINGS } from '../parts/memory.js'
import { removeAllFolders, tempFolder } from '../lib/temp.js'
import { sleep } from '../lib/stats.js'
import { snapshotGrowth } from '../lib/heap-snapshot.js'

function gc (): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('run with node --expose-gc')
  collect()
  collect()
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const n = Number(args.find(a => a.startsWith('--sessions='))?.slice(11) ?? 100)
  const top = Number(args.find(a => a.startsWith('--top='))?.slice(6) ?? 25)
  const dir = tempFolder()
  // The broker of the memory part's session levels: its settings, TDLib's network off before the parameters.
  const settings = settingsFromObject(benchBrokerSettings(MEMORY_BROKER_SETTINGS), dir)
  const log = createLogger({ debugLevel: settings.debug_level, logfile: settings.logfile })
  const backend = offlineBackend(await createBackend(settings, log))
  const broker = new Broker({ settings, backend, logger: log })
  await broker.start()
  const client = await BenchClient.connect('tcp', { ports: { tcp: broker.addresses.tcp!.port } })
  // Summarised only once both are written: the first summary's Map would otherwise be in the second snapshot.
  const files: string[] = []
  let created = 0
  for (const level of [n, 2 * n]) {
    while (created < level) {
      const batch = Math.min(20, level - created)
      created += batch
      await Promise.all(Array.from({ length: batch }, async () => {
        const answer = await client.request({ '@type': 'broker.createSession' })
        if (answer['@type'] !== 'broker.session') throw new Error(`createSession failed: ${JSON.stringify(answer)}`)
      }))
    }
    await sleep(1500)
    gc()
    files.push(writeHeapSnapshot(join(dir, `level-${level}.heapsnapshot`)))
  }
  const growth = snapshotGrowth(files[0]!, files[1]!, n)
  process.stdout.write(`JS heap growth per idle session, ${n} to ${2 * n} sessions: ${(growth.total / 1024).toFixed(1)} KB\n`)
  for (const [k, v] of growth.rows.slice(0, top)) process.stdout.write(`  ${(v / 1024).toFixed(2).padStart(7)} KB  ${k}\n`)
  client.close()
  await broker.stop('done')
}

main().then(() => { removeAllFolders(); process.exit(0) }, (e: unknown) => {
  removeAllFolders()
  process.stderr.write(`session-heap failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exit(1)
})

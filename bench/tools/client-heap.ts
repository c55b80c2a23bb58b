/**
 * What an idle client holds in the broker's JS heap: a broker in a child
 * process (as the memory part starts it: bench/child/broker.ts), one running
 * session, then N and 2N idle clients from this process, each attached to it;
 * a heap snapshot of the broker after each level; prints the growth per
 * client by object kind (V8 node type and constructor), largest first. The
 * growth from N to 2N leaves out what the first clients cost once (code
 * compiled for the connection path).
 *   node dist/bench/tools/client-heap.js [--clients=N] [--transport=tcp|tls|websocket] [--top=K]
 */
import { join } from 'node:path'
import { BenchClient, type Transport } from '../lib/client.js'
import { startBrokerProcess } from '../lib/broker-process.js'
import { BENCH_CREDENTIALS } from '../lib/direct.js'
import { snapshotGrowth } from '../lib/heap-snapshot.js'
import { sleep } from '../lib/stats.js'
import { removeAllFolders } from '../lib/temp.js'

const TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'websocket']

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const n = Number(args.find(a => a.startsWith('--clients='))?.slice(10) ?? 1000)
  const top = Number(args.find(a => a.startsWith('--top='))?.slice(6) ?? 25)
  const kind = (args.find(a => a.startsWith('--transport='))?.slice(12) ?? 'tcp') as Transport
  if (!TRANSPORTS.includes(kind)) throw new Error(`--transport must be one of ${TRANSPORTS.join(', ')}`)
  if (!Number.isInteger(n) || n < 1) throw new Error('--clients must be a whole number of at least 1')
  const broker = await startBrokerProcess({ label: 'client-heap', secure: kind !== 'tcp', settings: { tdlib: BENCH_CREDENTIALS } })
  const clients: BenchClient[] = []
  try {
    const holder = await BenchClient.connect('tcp', broker)
    clients.push(holder)
    const created = await holder.request({ '@type': 'broker.createSession' })
    if (created['@type'] !== 'broker.session') throw new Error(`createSession failed: ${JSON.stringify(created)}`)
    const files: string[] = []
    for (const level of [n, 2 * n]) {
      while (clients.length - 1 < level) {
        const c = await BenchClient.connect(kind, broker)
        clients.push(c)
        const answer = await c.request({ '@type': 'broker.attachSession', session: created.session })
        if (answer['@type'] !== 'broker.attached') throw new Error(`attachSession failed: ${JSON.stringify(answer)}`)
      }
      await sleep(1500)
      files.push(await broker.child.call<string>('snapshot', { file: join(broker.dir, `clients-${level}.heapsnapshot`) }))
    }
    const growth = snapshotGrowth(files[0]!, files[1]!, n)
    process.stdout.write(`JS heap growth per idle ${kind} client, ${n} to ${2 * n} clients: ${(growth.total / 1024).toFixed(2)} KB\n`)
    for (const [k, v] of growth.rows.slice(0, top)) process.stdout.write(`  ${v.toFixed(0).padStart(6)} B  ${k}\n`)
  } finally {
    for (const c of clients) c.close()
    await broker.stop()
  }
}

main().then(() => { removeAllFolders(); process.exit(0) }, (e: unknown) => {
  removeAllFolders()
  process.stderr.write(`client-heap failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exit(1)
})

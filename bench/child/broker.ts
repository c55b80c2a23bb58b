/**
 * A broker in its own process, built as `tdbroker start` builds it (same
 * logger, backend and Broker), driven by the benchmark over IPC: it reports
 * its ports and memory, and for the fan-out benchmark produces sandbox
 * updates under a window that the clients' progress opens.
 */
import { writeHeapSnapshot } from 'node:v8'
import { Broker } from '../../src/broker.js'
import { createLogger } from '../../src/log/logger.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { createBackend } from '../../src/tdlib/create-backend.js'
import type { TdBackend } from '../../src/tdlib/backend.js'
import { FANOUT_MARKER, memoryNow, serveCommands, type FanoutPlan } from '../lib/ipc.js'
import { offlineBackend } from '../lib/broker-setup.js'

interface SandboxWorld {
  injectMessages(fromUserId: number, chatId: number, texts: readonly string[]): number[]
}

let broker: Broker | undefined
let backend: TdBackend | undefined
let acked = 0
let wakeProducer: (() => void) | undefined

serveCommands({
  start: async (args: { settings: Record<string, unknown>, dir: string }) => {
    const settings = settingsFromObject(args.settings, args.dir)
    const log = createLogger({ debugLevel: settings.debug_level, logfile: settings.logfile })
    backend = offlineBackend(await createBackend(settings, log))
    broker = new Broker({ settings, backend, logger: log })
    await broker.start()
    const a = broker.addresses
    return { tcp: a.tcp?.port, tls: a.tls?.port, websocket: a.websocket?.port, admin: a.admin?.port, tdlib: backend.tdlibVersion }
  },
  memory: () => memoryNow(),
  /** A heap snapshot after a collection (bench/tools/client-heap.ts); resolves with its file. */
  snapshot: (args: { file: string }) => {
    memoryNow()
    return writeHeapSnapshot(args.file)
  },
  cpu: () => process.cpuUsage(),
  'fanout.run': async (plan: FanoutPlan) => await produce(plan)
}, {
  'fanout.ack': (upTo: number) => {
    acked = Math.max(acked, upTo)
    wakeProducer?.()
  }
}, async () => { await broker?.stop('benchmark over') })

async function waitForAck (): Promise<void> {
  await new Promise<void>(resolve => { wakeProducer = resolve })
  wakeProducer = undefined
}

/**
 * Injects plan.messages messages into the sandbox, one per call, each text
 * carrying its index and the hrtime it was produced at. At most plan.window
 * messages are in flight (produced, not yet seen by every client). Yields to
 * the event loop between batches so sockets flush and acks arrive. Resolves
 * once every client has seen every message, with the process's CPU time.
 */
async function produce (plan: FanoutPlan): Promise<{ cpuMicros: number, elapsedMicros: number }> {
  if (backend?.kind !== 'sandbox') throw new Error('fan-out needs the sandbox backend')
  const world = (backend as unknown as { world: SandboxWorld }).world
  acked = plan.firstIndex
  let next = plan.firstIndex
  const end = plan.firstIndex + plan.messages
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  while (next < end) {
    if (next - acked >= plan.window) {
      await waitForAck()
      continue
    }
    for (let batch = 0; next < end && next - acked < plan.window && batch < plan.batch; batch++) {
      world.injectMessages(plan.from, plan.chat, [`${FANOUT_MARKER}${next}:${process.hrtime.bigint()}:`])
      next++
    }
    await new Promise<void>(resolve => { setImmediate(resolve) })
  }
  while (acked < end) await waitForAck()
  const used = process.cpuUsage(cpu)
  return { cpuMicros: used.user + used.system, elapsedMicros: Number(process.hrtime.bigint() - started) / 1000 }
}

/**
 * The memory and cold-start baseline: TDLib sessions started directly through
 * tdl in a process of their own, with the same setTdlibParameters the broker
 * sends (src/session/tdlib-parameters.ts) and the network off, so its RSS is
 * TDLib's own cost per session.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { settingsFromObject } from '../../src/settings/load.js'
import { tdlibParameters } from '../../src/session/tdlib-parameters.js'
import { toTdl } from '../../src/tdlib/rename.js'
import type { Settings } from '../../src/settings/types.js'
import { bareClient, tdlibVersion, type TdlClient, type TdlRequest } from '../lib/direct.js'
import { NETWORK_NONE, memoryNow, serveCommands } from '../lib/ipc.js'

let settings: Settings | undefined
const clients: TdlClient[] = []
let nextFolder = 0
let reserved = 0

/** Starts one session; resolves (with the microseconds it took) at its first update after the parameters. */
async function startOne (root: string): Promise<number> {
  if (settings === undefined) throw new Error('call load first')
  const directory = join(root, String(nextFolder++))
  mkdirSync(directory, { recursive: true })
  const params = tdlibParameters(settings, 'tdlib', directory)
  if (params === undefined) throw new Error('the baseline needs tdlib.api_id and tdlib.api_hash')
  // As the broker does: create the client and send the parameters at once.
  const started = process.hrtime.bigint()
  const client = bareClient()
  clients.push(client)
  const first = new Promise<number>(resolve => {
    client.on('update', (u: { _: string, authorization_state?: { _: string } }) => {
      if (u._ === 'updateAuthorizationState' && u.authorization_state?._ !== 'authorizationStateWaitTdlibParameters') {
        resolve(Number(process.hrtime.bigint() - started) / 1000)
      }
    })
  })
  void client.invoke(toTdl(NETWORK_NONE) as TdlRequest).catch(() => {})
  await client.invoke(toTdl(params) as TdlRequest)
  return await first
}

serveCommands({
  /** Loads libtdjson (as the broker does at start) and reports memory. */
  load: (args: { settings: Record<string, unknown>, dir: string }) => {
    settings = settingsFromObject(args.settings, args.dir)
    tdlibVersion()
    return memoryNow()
  },
  /** Starts `count` sessions one after another; returns each one's cold start in microseconds. */
  coldStart: async (args: { root: string, count: number }) => {
    const times: number[] = []
    for (let i = 0; i < args.count; i++) {
      reserved++
      times.push(await startOne(args.root))
    }
    return times
  },
  /** Starts sessions, `concurrency` at a time, until `total` run. */
  grow: async (args: { root: string, total: number, concurrency: number }) => {
    const workers = Array.from({ length: args.concurrency }, async () => {
      while (reserved < args.total) {
        reserved++
        await startOne(args.root)
      }
    })
    await Promise.all(workers)
    return clients.length
  },
  memory: () => memoryNow()
}, {}, async () => {
  await Promise.all(clients.map(async c => { await c.close().catch(() => {}) }))
})

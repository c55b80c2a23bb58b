/**
 * The broker's own CPU per request, with the rest taken away: an in-process
 * broker (lib/in-process.ts) on a backend that answers at once. What remains
 * is parsing, the pipeline (policy, resolution, formatting, chat scope),
 * session dispatch and serialising the answer: the part of a round trip the
 * broker's code decides, without sockets or TDLib.
 */
import type { TdBackend, TdClientEvents, TdObject } from '../../src/tdlib/backend.js'
import { InProcessBroker } from './in-process.js'

/** A backend whose every client answers testSquareInt at once. */
function instantBackend (): TdBackend {
  return {
    kind: 'tdlib',
    tdlibVersion: 'instant',
    createClient (_options, events: TdClientEvents) {
      queueMicrotask(() => { events.onUpdate({ '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateWaitTdlibParameters' } }) })
      return {
        invoke: async (request: TdObject) => ({ '@type': 'testInt', value: Number(request.x) ** 2 }),
        close: async () => { events.onClosed() }
      }
    },
    execute: () => ({ '@type': 'error', code: 400, message: 'not supported' }),
    shutdown: async () => {}
  }
}

/** CPU microseconds per request, for each `batch` (requests handed over at a time); `settings` adds to the broker's. */
export async function brokerOverhead (requests: number, batches: readonly number[], settings: Record<string, unknown> = {}): Promise<Map<number, number>> {
  const broker = await InProcessBroker.start({ allowed_requests: ['testSquareInt'], ...settings }, instantBackend())
  try {
    const session = (await broker.request({ '@type': 'broker.createSession' })).session as string
    const prefix = `{"@type":"testSquareInt","x":3,"@session":"${session}"`
    const result = new Map<number, number>()
    await broker.cpuPerRequestBatched(prefix, requests, batches[0]!)
    for (const batch of batches) result.set(batch, await broker.cpuPerRequestBatched(prefix, requests, batch))
    return result
  } finally {
    await broker.stop()
  }
}

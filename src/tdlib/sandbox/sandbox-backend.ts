/**
 * The sandbox as a TdBackend: one emulated Telegram (World) shared by every
 * client this backend creates, plus the fault and world handles tests use.
 */
import type { TdBackend, TdClient, TdClientEvents, TdClientOptions } from '../backend.js'
import { TdFailure } from './td.js'
import { SandboxClient } from './client.js'
import type { SandboxFaults } from './faults.js'
import { TDLIB_VERSION, executeSync } from './misc.js'
import { defaultWorldPath, loadSeedFile, validateSeed, type SandboxWorldSeed } from './seed.js'
import { World, type SandboxWorldApi } from './world.js'

export interface SandboxBackendOptions {
  /** The seed, or the path of a seed JSON file; default: the shipped demo world (sandbox/world.json). */
  world?: SandboxWorldSeed | string
  /** Delay added before every network request (default 0: no timers at all). */
  latencyMs?: number
  /** How long a user waits for a bot's answer to a callback or inline query (default 10 s). */
  botTimeoutMs?: number
}

export interface SandboxBackend extends TdBackend {
  readonly kind: 'sandbox'
  /** Failures on demand: FLOOD_WAIT, network drops, latency. */
  readonly faults: SandboxFaults
  /** Direct access to the emulated world: login codes, message injection. */
  readonly world: SandboxWorldApi
}

/** Creates an emulated Telegram behind the TDLib backend interface. */
export function createSandboxBackend (options: SandboxBackendOptions = {}): SandboxBackend {
  const seed = typeof options.world === 'string'
    ? loadSeedFile(options.world)
    : options.world === undefined ? loadSeedFile(defaultWorldPath()) : validateSeed(options.world, 'world option')
  const latencyMs = options.latencyMs ?? 0
  if (!(latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0')
  const world = new World(seed, { latencyMs, botTimeoutMs: options.botTimeoutMs ?? 10_000 })
  let shutDown = false

  return {
    kind: 'sandbox',
    tdlibVersion: TDLIB_VERSION,
    faults: world.faults,
    world,
    createClient (clientOptions: TdClientOptions, events: TdClientEvents): TdClient {
      if (shutDown) throw new Error('the sandbox backend has been shut down')
      return new SandboxClient(world, clientOptions, events)
    },
    execute: executeSync,
    async shutdown (): Promise<void> {
      shutDown = true
      await Promise.all([...world.clients].map(async client => await client.close()))
      world.faults.clear()
      for (const pending of [...world.callbackQueries.values(), ...world.inlineQueries.values()]) {
        clearTimeout(pending.timer)
        pending.reject(new TdFailure(500, 'Request aborted'))
      }
      world.callbackQueries.clear()
      world.inlineQueries.clear()
    },
  }
}

/**
 * What storage adds to a broker, in one call: the store (local, and the
 * MySQL mirror when `mysql` is set), the backend wrapped so the store sees
 * sessions start, log in and stop, and the pipeline steps that resolve
 * request_peers (through the store's cache) and format format_fields.
 */
import { formatStep } from '../format/format-step.js'
import type { Logger } from '../log/logger.js'
import { ResolveCache } from '../resolve/cache.js'
import { resolveStep } from '../resolve/resolve-step.js'
import { PeerResolver } from '../resolve/resolver.js'
import type { Step } from '../server/pipeline.js'
import type { Settings } from '../settings/types.js'
import type { TdBackend } from '../tdlib/backend.js'
import { BrokerStore, type BrokerStoreOptions } from './broker-store.js'

export { BrokerStore, type BrokerStoreOptions } from './broker-store.js'

export interface BrokerStorage {
  store: BrokerStore
  /** The backend sessions must use, so the store sees them. */
  backend: TdBackend
  /** Resolution, then formatting: they run right after the policy step. */
  steps: Step[]
  cache: ResolveCache
}

/**
 * `settings` is a getter so the steps follow a settings reload; the store
 * itself (paths, mysql) keeps the settings it was created with.
 */
export function storageFor (settings: () => Settings, backend: TdBackend, log: Logger, options: BrokerStoreOptions = {}): BrokerStorage {
  const initial = settings()
  const store = new BrokerStore(initial, log, options)
  const cache = new ResolveCache(store, () => settings().resolve_cache_ttl)
  const resolver = new PeerResolver(cache, log.child({ component: 'resolve' }))
  return {
    store,
    backend: store.watch(backend),
    steps: [resolveStep(settings, resolver), formatStep(settings, backend)],
    cache,
  }
}

/**
 * What storage adds to a broker, in one call: the store (local, and the
 * MySQL mirror when `mysql` is set) and the backend wrapped so the store
 * sees sessions start, log in and stop. The request pipeline that uses the
 * store's resolution records is assembled by the broker (pipeline-assembly.ts):
 * store/ depends on nothing above it.
 */
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import type { TdBackend } from '../tdlib/backend.js'
import { BrokerStore, type BrokerStoreOptions } from './broker-store.js'

export { BrokerStore, type BrokerStoreOptions } from './broker-store.js'

export interface BrokerStorage {
  store: BrokerStore
  /** The backend sessions must use, so the store sees them. */
  backend: TdBackend
}

/** The store keeps the settings it was created with (paths, mysql). */
export function storageFor (settings: Settings, backend: TdBackend, log: Logger, options: BrokerStoreOptions = {}): BrokerStorage {
  const store = new BrokerStore(settings, log, options)
  return { store, backend: store.watch(backend) }
}

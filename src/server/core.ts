/** What every connection shares: settings, sessions, clients, policy, audit and the request pipeline. */
import type { AuditLog } from '../audit/audit.js'
import type { ClientDirectory } from '../clients/directory.js'
import type { AuthThrottle } from '../clients/throttle.js'
import type { Logger } from '../log/logger.js'
import type { Policy } from '../policy/policy.js'
import type { SessionRegistry } from '../session/registry.js'
import type { Settings } from '../settings/types.js'
import type { TdBackend, TdObject } from '../tdlib/backend.js'
import type { UploadStore } from '../files/uploads.js'
import type { RequestContext } from './pipeline.js'
import type { BrokerMetrics } from '../metrics/broker-metrics.js'

export interface BrokerCore {
  readonly settings: Settings
  readonly log: Logger
  readonly backend: TdBackend
  readonly registry: SessionRegistry
  /** The global whitelists (each connection's own policy narrows them). Replaced on reload. */
  readonly policy: Policy
  /** The clients of settings. Replaced on reload. */
  readonly clients: ClientDirectory
  /** Failed authentications per address (kept across reloads). */
  readonly authThrottle: AuthThrottle
  readonly audit: AuditLog
  /** Files clients sent with broker.uploadFile (files/uploads.ts). */
  readonly uploads: UploadStore
  readonly startedAt: number
  readonly shuttingDown: boolean
  /** Runs a TDLib request through the pipeline. */
  execute(ctx: RequestContext): Promise<TdObject>
  /** Called by a connection once it is closed. */
  forget(connection: object): void
  /** Connections currently open. */
  readonly connectionCount: number
  /** Prometheus metrics; connections bump its counters. */
  readonly metrics: BrokerMetrics
  /**
   * Extra fields for broker.status (for example certificate expiry). The
   * fields that name sessions (flood waits, the cluster's leases and
   * sessions) keep only those `visible` accepts: a client learns nothing of
   * sessions outside its scope.
   */
  statusExtras(visible: (session: string) => boolean): Record<string, unknown>
}

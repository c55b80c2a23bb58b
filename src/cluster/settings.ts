/**
 * The `cluster` section of settings (docs/cluster.md): this node's name, the
 * NATS servers, and the timings of leases and retention of the update
 * stream. Without it the broker runs alone and never loads a NATS module.
 */

/** Node names become NATS subject tokens and KV keys: letters, digits, `_` and `-`. */
const nodeName = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }

export const clusterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['node'],
  properties: {
    node: nodeName,
    servers: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, default: ['nats://127.0.0.1:4222'] },
    // Prefix of every subject, bucket and stream: several clusters can share one NATS.
    prefix: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'tdbroker' },
    lease_ttl: { type: 'number', minimum: 1, maximum: 300, default: 4 },
    heartbeat: { type: 'number', minimum: 0.1, maximum: 60, default: 1 },
    request_timeout: { type: 'number', minimum: 0.5, maximum: 300, default: 15 },
    updates_max_age: { type: 'number', minimum: 1, default: 86400 },
    updates_per_session: { type: 'integer', minimum: 1, maximum: 10000000, default: 10000 },
    backup_interval: { type: 'number', minimum: 0, default: 60 },
    weight: { type: 'number', minimum: 0.01, default: 1 }
  }
} as const

export interface ClusterSettings {
  /** This node's name, unique in the cluster. */
  node: string
  /** NATS servers to connect to. */
  servers: readonly string[]
  /** Prefix of subjects, KV buckets, the update stream and the backup object store. */
  prefix: string
  /** Seconds a lease lives without a renewal (the leases bucket's max_age). */
  lease_ttl: number
  /** Seconds between lease renewals and node heartbeats. */
  heartbeat: number
  /** Seconds a forwarded request may take. */
  request_timeout: number
  /** Seconds an update stays in the update stream. */
  updates_max_age: number
  /** Messages kept per session in the update stream (one update each, or a batch of up to 256). */
  updates_per_session: number
  /** Seconds between backups of a running, logged-in session (0: at login and clean stop only). */
  backup_interval: number
  /** Share of sessions this node takes: new sessions go where sessions / weight is lowest. */
  weight: number
}

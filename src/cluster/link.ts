/**
 * The cluster's NATS side, opened once per node: the connection, the three
 * KV buckets (sessions: the catalogue; leases: who runs which session, with
 * the bucket's max_age as the lease TTL; nodes: who is alive), the update
 * stream and the backup object store. This is the only file that imports
 * the NATS client's connection code; cluster-registry.ts loads it lazily.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { Objm, type ObjectStore } from '@nats-io/obj'
import type { Logger } from '../log/logger.js'
import type { ClusterSettings } from './settings.js'

export interface ClusterLink {
  readonly nc: NatsConnection
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  /** Session id -> CatalogueEntry (no TTL). */
  readonly catalogue: KV
  /** Session id -> LeaseValue; entries expire lease_ttl after their last write. */
  readonly leases: KV
  /** Node name -> NodeValue; entries expire lease_ttl after their last heartbeat. */
  readonly nodes: KV
  /** Sealed session backups, one object per session id. */
  readonly backups: ObjectStore
  /** The update stream's name. */
  readonly stream: string
  /** The subject of a session's updates. */
  updates(sessionId: string): string
  /** The request subject a node answers on. */
  nodeSubject(node: string): string
}

export interface CatalogueEntry {
  creator?: string
  created: number
  /** The node that ran the session last: its folder there is the newest, elsewhere the backup is. */
  last_owner?: string
}

export interface LeaseValue { node: string, since: number }

export interface NodeValue { node: string, sessions: number, weight: number, draining: boolean, started: number }

const SECOND_NS = 1_000_000_000

/** Connects and makes sure the buckets, the stream and the object store exist with these settings. */
export async function openLink (settings: ClusterSettings, log: Logger): Promise<ClusterLink> {
  const nc = await connect({
    servers: [...settings.servers],
    name: `tdbroker-${settings.node}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Without it every request (each JetStream publish and KV write among them) builds two Error objects
    // with stack traces in case it fails: a visible share of a node's CPU under load, for a stack that names nats.js.
    noAsyncTraces: true,
    timeout: Math.round(settings.request_timeout * 1000)
  })
  try {
    const timeout = Math.round(settings.request_timeout * 1000)
    const js = jetstream(nc, { timeout })
    const jsm = await jetstreamManager(nc, { timeout })
    const kvm = new Kvm(js)
    const ttl = Math.round(settings.lease_ttl * 1000)
    const bucket = async (name: string, opts: Record<string, unknown>): Promise<KV> => {
      try {
        return await kvm.create(name, { history: 1, ...opts })
      } catch (e) {
        // Made by an earlier version or other settings: used as it is, and said so.
        log.warn({ bucket: name, err: (e as Error).message }, 'cluster KV bucket exists with another configuration; using it as it is')
        return await kvm.open(name)
      }
    }
    const p = settings.prefix
    const catalogue = await bucket(`${p}-sessions`, {})
    const leases = await bucket(`${p}-leases`, { ttl })
    const nodes = await bucket(`${p}-nodes`, { ttl })
    const stream = `${p}-updates`
    const config = {
      name: stream,
      subjects: [`${p}.updates.*`],
      max_age: Math.round(settings.updates_max_age * SECOND_NS),
      max_msgs_per_subject: settings.updates_per_session,
      duplicate_window: Math.min(120, settings.updates_max_age) * SECOND_NS
    }
    try {
      await jsm.streams.info(stream)
      await jsm.streams.update(stream, config)
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw e
      await jsm.streams.add(config)
    }
    const backups = await new Objm(js).create(`${p}-backups`)
    return {
      nc, js, jsm, catalogue, leases, nodes, backups, stream,
      updates: id => `${p}.updates.${id}`,
      nodeSubject: node => `${p}.node.${node}`
    }
  } catch (e) {
    await nc.close().catch(() => {})
    throw e
  }
}

/**
 * `tdbroker drain NODE` from outside the broker: one NATS request to the
 * node's subject, as the nodes themselves send it. The node stops taking
 * new sessions, closes each of its sessions cleanly (a full backup), lets
 * its lease go and has it started on another node.
 */
import { connect } from '@nats-io/transport-node'
import type { ClusterSettings } from './settings.js'

/** Longest a drain may take: each session is stopped, backed up and started elsewhere in turn. */
const DRAIN_TIMEOUT_MS = 10 * 60 * 1000

export interface DrainResult { node: string, moved: string[] }

export async function requestDrain (cluster: ClusterSettings, node: string): Promise<DrainResult> {
  const nc = await connect({ servers: [...cluster.servers], name: 'tdbroker-drain', timeout: cluster.request_timeout * 1000 })
  try {
    const m = await nc.request(`${cluster.prefix}.node.${node}`, JSON.stringify({ op: 'drain' }), { timeout: DRAIN_TIMEOUT_MS })
    const reply = m.json<{ ok: boolean, value?: DrainResult, message?: string }>()
    if (!reply.ok || reply.value === undefined) throw new Error(reply.message ?? 'the node refused')
    return reply.value
  } catch (e) {
    if (/no responders/i.test((e as Error).message)) throw new Error(`node ${node} is not connected to the cluster (no node of prefix ${cluster.prefix} has that name)`)
    throw e
  } finally {
    await nc.close()
  }
}

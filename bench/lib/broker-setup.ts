/**
 * How a benchmark broker is set up, for the broker child process
 * (bench/child/broker.ts, through bench/lib/broker-process.ts) and for tools
 * that run a broker in their own process (bench/tools/session-heap.ts), so
 * both measure the same broker.
 */
import { withClients, type TdBackend } from '../../src/tdlib/backend.js'
import { NETWORK_NONE } from './ipc.js'

/**
 * settings.json content for a broker of the benchmark: `raw` with
 * tdlib.path, logfile, host and port filled in (listening on loopback, any
 * free port).
 */
export function benchBrokerSettings (raw: Record<string, unknown> = {}): Record<string, unknown> {
  const tdlib = { path: 'sessions', ...(raw.tdlib as object | undefined) }
  // Every benchmark client comes from 127.0.0.1: the per-address cap (256 by default) would refuse the idle-clients levels.
  return { debug_level: 4, logfile: 'broker.log', max_connections_per_address: 10000, ...raw, host: '127.0.0.1', port: 0, tdlib }
}

/**
 * Real TDLib with its network off: every client is told networkTypeNone
 * before the broker sends setTdlibParameters (TDLib queues the request until
 * then), so sessions start for real (database, parameters) without ever
 * connecting to Telegram. The benchmark stays on loopback.
 */
export function offlineBackend (real: TdBackend): TdBackend {
  if (real.kind !== 'tdlib') return real
  return withClients(real, (options, events) => {
    const client = real.createClient(options, events)
    client.invoke(NETWORK_NONE).catch(() => {})
    return client
  })
}

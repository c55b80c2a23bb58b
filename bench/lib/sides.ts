/**
 * The three sides that parts 1 and 2 compare, each with one TDLib client in
 * the same state (parameters set, network off, waiting for a phone number):
 * - direct: tdl in the benchmark process (lib/direct.ts directSession);
 * - minimal proxy: tdl behind a TCP socket in a child process, nothing else
 *   (child/minimal-proxy.ts), the floor of any broker in its own process;
 * - broker: the broker in a child process, one session.
 * Each side reports the CPU time of the process that serves its requests.
 */
import { BenchClient, createSession, type Transport } from './client.js'
import { startBrokerProcess, type BrokerProcess } from './broker-process.js'
import { Child } from './child.js'
import { BENCH_CREDENTIALS, MEASURED_STATE, closeDirect, directSession, type TdlClient } from './direct.js'
import { ownCpuMicros } from './stats.js'
import { removeFolder, tempFolder } from './temp.js'
import { profileFlags } from './options.js'

export interface Sides {
  readonly direct: TdlClient
  readonly broker: BrokerProcess
  readonly proxyPort: number
  /** The broker session every broker connection attaches to. */
  readonly session: string
  /** `{"@type":"testSquareInt","x":3,"@session":"…"` (BenchClient.requestPrefix). */
  readonly prefix: string
  /** CPU microseconds so far of the process serving each side (every thread). */
  cpu(side: 'direct' | 'proxy' | 'broker'): Promise<number>
  /** A connection to the broker (attached to the session) or to the proxy; closed by stop(). */
  connect(to: 'broker' | 'proxy', kind?: Transport): Promise<BenchClient>
  stop(): Promise<void>
}

export async function startSides (label: string, secure: boolean): Promise<Sides> {
  const dir = tempFolder()
  const proxy = new Child('minimal proxy', new URL('../child/minimal-proxy.js', import.meta.url), { execArgv: profileFlags(`proxy-${label}`) })
  const open: BenchClient[] = []
  let broker: BrokerProcess | undefined
  let direct: TdlClient | undefined
  const stop = async (): Promise<void> => {
    for (const c of open) c.close()
    if (direct !== undefined) await closeDirect(direct)
    await proxy.stop()
    await broker?.stop()
    removeFolder(dir)
  }
  try {
    broker = await startBrokerProcess({ label, secure, settings: { tdlib: BENCH_CREDENTIALS, allowed_requests: ['testSquareInt', 'getAuthorizationState'] } })
    const b = broker
    direct = await directSession(dir)
    const proxyPort = await proxy.call<number>('start', { dir: `${dir}/proxy` })
    const control = await BenchClient.connect('tcp', b)
    open.push(control)
    const session = await createSession(control)
    const connect = async (to: 'broker' | 'proxy', kind: Transport = 'tcp'): Promise<BenchClient> => {
      const c = await BenchClient.connect(to === 'proxy' ? 'tcp' : kind, to === 'proxy' ? { ports: { tcp: proxyPort } } : b)
      open.push(c)
      if (to === 'broker') {
        const answer = await c.request({ '@type': 'broker.attachSession', session })
        if (answer['@type'] !== 'broker.attached') throw new Error(`attachSession failed: ${JSON.stringify(answer)}`)
      }
      return c
    }
    // Every side must be in the state the comparison assumes, or the ratios compare unlike things.
    await waitForState(control, session)
    const viaProxy = await (await connect('proxy')).request({ '@type': 'getAuthorizationState' })
    if (viaProxy['@type'] !== MEASURED_STATE) throw new Error(`the minimal proxy's session is in ${JSON.stringify(viaProxy)}, not ${MEASURED_STATE}`)
    const d = direct
    return {
      direct: d, broker: b, proxyPort, session,
      prefix: `{"@type":"testSquareInt","x":3,"@session":"${session}"`,
      cpu: async side => side === 'direct' ? ownCpuMicros() : side === 'proxy' ? await proxy.cpuMicros() : await b.child.cpuMicros(),
      connect,
      stop
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/** Asks the broker session for its state until TDLib has taken the parameters (bounded: 60 s). */
export async function waitForState (client: BenchClient, session: string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const state = await client.request({ '@type': 'getAuthorizationState', '@session': session })
    if (state['@type'] === MEASURED_STATE) return
    if (Date.now() > deadline) throw new Error(`the broker session is in ${JSON.stringify(state)}, not ${MEASURED_STATE}, after 60 s`)
    await new Promise(resolve => { setTimeout(resolve, 50) })
  }
}

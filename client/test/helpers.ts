/** A TCP relay between a client and the broker that a test can cut, to drop connections at will. */
import net from 'node:net'

export interface CutProxy {
  port: number
  /** Connections relayed so far. */
  readonly accepted: number
  /** Destroys every relayed connection now (both sides see a reset). */
  cut(): void
  /** While true, every new connection is refused (reset at once): the broker is out of reach. */
  hold(on: boolean): void
  close(): Promise<void>
}

export async function startCutProxy (targetPort: number): Promise<CutProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  let accepted = 0
  let held = false
  const server = net.createServer(inbound => {
    if (held) { inbound.on('error', () => {}); inbound.resetAndDestroy(); return }
    accepted++
    const outbound = net.connect({ host: '127.0.0.1', port: targetPort })
    const pair: [net.Socket, net.Socket] = [inbound, outbound]
    pairs.add(pair)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
    const drop = (): void => { inbound.destroy(); outbound.destroy(); pairs.delete(pair) }
    inbound.on('error', drop).on('close', drop)
    outbound.on('error', drop).on('close', drop)
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted () { return accepted },
    hold (on) { held = on },
    cut () { for (const [a, b] of [...pairs]) { a.resetAndDestroy(); b.destroy() } pairs.clear() },
    async close () {
      for (const [a, b] of pairs) { a.destroy(); b.destroy() }
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

/** A small seeded PRNG (mulberry32), so a test's random schedule is the same on every run. */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

/** `promise`, or a rejection after `ms` saying what did not happen: no wait in a test is unbounded. */
export async function within<T> (promise: Promise<T>, ms: number, what = 'the wait'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: nothing within ${ms} ms`)) }, ms) })
  try { return await Promise.race([promise, timeout]) } finally { clearTimeout(timer) }
}

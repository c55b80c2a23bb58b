/** Binding listeners, with a clear error when the address is taken or not allowed. */
import type { Server } from 'node:net'
import type { AddressInfo } from 'node:net'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', 'ip6-localhost'])

export function isLoopback (host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** Listens and resolves with the bound address; rejects with a message naming host and port. */
export async function listen (server: Server, host: string, port: number, what: string): Promise<AddressInfo> {
  return await new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(new Error(`cannot listen for ${what} on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is already in use' : e.message}`))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}

/** Binding listeners, with a clear error when the address is taken or not allowed. */
import net, { type AddressInfo, type Server } from 'node:net'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', 'ip6-localhost'])

export function isLoopback (host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * Listens and resolves with the bound address; rejects with a message naming host and port.
 *
 * `localhost` means both loopback addresses: the server binds 127.0.0.1, and a
 * companion listener on [::1] (same port) hands its connections to the same
 * server, so a client whose resolver prefers ::1 reaches the broker too. The
 * companion is pushed to `companions` for the caller to close; a machine
 * without IPv6 loopback gets none, silently.
 */
export async function listen (server: Server, host: string, port: number, what: string, companions?: Server[]): Promise<AddressInfo> {
  if (host !== 'localhost') return await bind(server, host, port, what, host)
  const address = await bind(server, '127.0.0.1', port, what, host)
  const v6 = net.createServer({ allowHalfOpen: true }, socket => { server.emit('connection', socket) })
  try {
    await bind(v6, '::1', address.port, what, '[::1]')
    companions?.push(v6)
  } catch {
    v6.close()
  }
  return address
}

async function bind (server: Server, address: string, port: number, what: string, shown: string): Promise<AddressInfo> {
  return await new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(new Error(`cannot listen for ${what} on ${shown}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is already in use' : e.message}`))
    }
    server.once('error', onError)
    server.listen(port, address, () => {
      server.off('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}

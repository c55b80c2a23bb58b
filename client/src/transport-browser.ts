/**
 * The browser's transport: the browser's own WebSocket (ws:// and wss://).
 * Certificates are the browser's business there, so `tls` options are
 * refused with a clear error rather than ignored. Imports no node: module.
 */
import { openWebSocket, schemeOf, type ConnectTarget, type Platform, type SocketLike, type Transport, type TransportEvents } from './transport.js'

export async function openBrowserTransport (target: ConnectTarget, events: TransportEvents): Promise<Transport> {
  schemeOf(target, ['ws', 'wss'])
  if (target.tls !== undefined) throw new Error('tls options need Node: in a browser the browser checks the certificate (install the CA there, or use Node)')
  const native = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket
  if (native === undefined) throw new Error('this runtime has no WebSocket: use @tdbroker/client (not /browser) in Node')
  return await openWebSocket(target, events, () => new native(target.url))
}

/** The browser's platform: WebSocket only; uploads take bytes or streams, not paths. */
export const BROWSER_PLATFORM: Platform = { openTransport: openBrowserTransport }

/**
 * The built-in TLS listener: the same newline-delimited protocol as the plain
 * one, with client certificates verified during the handshake when
 * tls.verify_clients is on. Certificates come from a CertificateStore, which
 * swaps them on reload without touching open connections.
 */
import tls from 'node:tls'
import type { CertificateStore } from '../certs/store.js'
import type { Logger } from '../log/logger.js'
import type { PeerCertificate } from './transport.js'
import { bindSocket, SocketTransport } from './socket-transport.js'
import type { Connection } from './connection.js'

/** The verified client certificate of a TLS socket, if the handshake checked one. */
export function peerCertificateOf (socket: tls.TLSSocket): PeerCertificate | undefined {
  if (!socket.authorized) return undefined
  const cert = socket.getPeerCertificate()
  if (cert === null || typeof cert !== 'object' || cert.fingerprint256 === undefined) return undefined
  const subject = Object.entries(cert.subject ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ')
  const cn = cert.subject?.CN
  return { fingerprint256: cert.fingerprint256, subject, ...(cn !== undefined ? { commonName: Array.isArray(cn) ? cn.join('+') : cn } : {}) }
}

/** Time a client has to complete the TLS handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000

export function createTlsServer (
  store: CertificateStore,
  log: Logger,
  accept: (transport: Connection['transport'], bind: (c: Connection) => void) => void
): tls.Server {
  // allowHalfOpen lets a client that closes its sending side still get its
  // answers. A client that leaves mid-handshake is then closed by nobody, so
  // handshakes get a short limit (node's default is 120 s).
  const server = tls.createServer({ ...store.serverOptions(), allowHalfOpen: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, socket => {
    const peer = peerCertificateOf(socket)
    const transport = new SocketTransport(socket, 'tls', peer === undefined ? {} : { peerCertificate: peer })
    accept(transport, c => { bindSocket(socket, c) })
  })
  store.attach(server)
  // A refused handshake (no certificate, another CA, plain TCP on the TLS port) is
  // normal noise on a public port: logged at debug, never fatal.
  server.on('tlsClientError', (e, socket) => {
    // Node reports a refused client certificate as a generic reset; the reason is on the socket.
    const reason = (socket as tls.TLSSocket).authorizationError ?? e.message
    log.debug({ err: String(reason), remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` }, 'TLS handshake refused')
    // With allowHalfOpen nothing else closes a refused socket.
    socket.destroy()
  })
  return server
}

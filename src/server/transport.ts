/**
 * What a connection needs from its transport (TCP, TLS or WebSocket). Each
 * transport frames its own input and calls Connection.receive per message.
 */
export interface Transport {
  /** `tcp`, `tls` or `websocket`. */
  readonly kind: string
  /** Remote address and port, for logs. */
  readonly remote: string
  /**
   * The client certificate verified during the TLS handshake (TLS and
   * WebSocket-over-HTTPS with client verification); undefined otherwise.
   */
  readonly peerCertificate?: PeerCertificate
  /**
   * Sends one protocol object (a JSON line without its newline). `more`
   * says that more output follows soon, so the line may wait a little to
   * leave with it (output-batch.ts); a transport may ignore it.
   */
  send(line: string, more?: boolean): void
  /**
   * Writes what send has left waiting, now: nothing else is expected to
   * leave with it. Transports that write every line at once have none.
   */
  flush?(): void
  /** Bytes written but not yet handed to the network. */
  bufferedBytes(): number
  /** Stops reading input until resumeReading (request backpressure). */
  pauseReading(): void
  resumeReading(): void
  /** Flushes what is queued, then closes. */
  end(): void
  /** Closes at once, dropping what is queued. */
  destroy(): void
}

/** What identifies a client that presented a certificate. */
export interface PeerCertificate {
  /** SHA-256 fingerprint, upper-case hex pairs joined by colons (as openssl and node:crypto print it). */
  readonly fingerprint256: string
  /** Subject common name (CN), if any. */
  readonly commonName?: string
  /** The whole subject as "CN=...,O=..." for logs and matching. */
  readonly subject: string
}

/**
 * What a connection needs from its transport (TCP, TLS or WebSocket). Each
 * transport frames its own input and calls Connection.receive per message.
 */
export interface Transport {
  /** `tcp`, `tls` or `websocket`. */
  readonly kind: string
  /** Remote address and port, for logs. */
  readonly remote: string
  /** Sends one protocol object (a JSON line without its newline). */
  send(line: string): void
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

/** Splits a byte stream into newline-terminated lines (the broker's TCP and TLS framing). */
export class LineSplitter {
  private rest = ''
  private readonly decoder = new TextDecoder('utf-8')

  constructor (private readonly onLine: (line: string) => void) {}

  push (chunk: Uint8Array): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true })
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl === -1) break
      const line = text.slice(start, nl)
      start = nl + 1
      if (line.length > 0) this.onLine(line)
    }
    this.rest = text.slice(start)
  }
}

/**
 * Splits a byte stream into newline-terminated UTF-8 lines, refusing any line
 * longer than the maximum frame size before it is buffered whole.
 *
 * A line's size is counted without its newline and without a `\r` before it,
 * so that a client ending its lines with CRLF gets the same limit as one
 * using LF. A line of nothing but spaces, tabs and `\r` carries no request
 * and is skipped like an empty one (docs/protocol.md).
 */
/**
 * Where a framer's lines go: an object rather than two callbacks, so that a
 * connection's binding is one object and not a closure per callback (every
 * idle connection keeps its framer).
 */
export interface LineSink {
  /** Each line that is neither empty nor blank (a trailing `\r` is removed). */
  line(text: string): void
  /** Once, when a line exceeds the limit; no line follows. */
  oversize(size: number): void
}

export class LineFramer {
  /** The unfinished line's pieces; none while no line is unfinished (most of the time: an idle connection keeps no array). */
  private chunks: Buffer[] | undefined
  private buffered = 0
  /** The last byte buffered of an unfinished line (a `\r` there is not counted). */
  private lastByte = -1

  /**
   * @param maxFrame longest accepted line in bytes (without its newline and a `\r` before it)
   * @param sink receives the lines, and the oversize report
   */
  constructor (private maxFrame: number, private readonly sink: LineSink) {}

  private failed = false

  /** Changes the limit (it grows once a connection has authenticated); applies to the line being read, too. */
  setMaxFrame (maxFrame: number): void { this.maxFrame = maxFrame }

  push (chunk: Buffer): void {
    if (this.failed) return
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(10, start)
      if (nl === -1) break
      const cr = nl > start ? chunk[nl - 1] === 13 : this.buffered > 0 && this.lastByte === 13
      const size = this.buffered + nl - start - (cr ? 1 : 0)
      if (size > this.maxFrame) return this.fail(size)
      let line: Buffer
      if (this.buffered === 0) {
        line = chunk.subarray(start, nl)
      } else {
        const pieces = this.chunks!
        pieces.push(chunk.subarray(start, nl))
        line = Buffer.concat(pieces, this.buffered + nl - start)
        this.chunks = undefined
        this.buffered = 0
      }
      start = nl + 1
      const end = cr ? line.length - 1 : line.length
      if (!isBlank(line, end)) this.sink.line(line.toString('utf8', 0, end))
      if (this.failed) return
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start)
      this.buffered += rest.length
      this.lastByte = rest[rest.length - 1] ?? -1
      // A \r at the end may be the one before the newline: it does not count yet.
      const size = this.buffered - (this.lastByte === 13 ? 1 : 0)
      if (size > this.maxFrame) return this.fail(size)
      // Copy: the socket may reuse the chunk's memory.
      const pieces = this.chunks ??= []
      pieces.push(Buffer.from(rest))
    }
  }

  private fail (size: number): void {
    this.failed = true
    this.chunks = undefined
    this.buffered = 0
    this.sink.oversize(size)
  }
}

/** Whether the first `end` bytes are only spaces, tabs and `\r` (or nothing). */
function isBlank (line: Buffer, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const b = line[i]
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false
  }
  return true
}

/**
 * Whether a WebSocket message is empty or only JSON whitespace: such a
 * message carries no request and is skipped, as blank lines are on TCP.
 */
export function isBlankMessage (text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false
  }
  return true
}

/**
 * Splits a byte stream into newline-terminated UTF-8 lines, refusing any line
 * longer than the maximum frame size before it is buffered whole.
 */
export class LineFramer {
  private chunks: Buffer[] = []
  private buffered = 0

  /**
   * @param maxFrame longest accepted line in bytes (without its newline)
   * @param onLine called for each non-empty line (a trailing \r is removed)
   * @param onOversize called once when a line exceeds maxFrame; no line follows
   */
  constructor (
    private maxFrame: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: (size: number) => void
  ) {}

  private failed = false

  /** Changes the limit (it grows once a connection has authenticated); applies to the line being read, too. */
  setMaxFrame (maxFrame: number): void { this.maxFrame = maxFrame }

  push (chunk: Buffer): void {
    if (this.failed) return
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(10, start)
      if (nl === -1) break
      const size = this.buffered + nl - start
      if (size > this.maxFrame) return this.fail(size)
      let line: Buffer
      if (this.buffered === 0) {
        line = chunk.subarray(start, nl)
      } else {
        this.chunks.push(chunk.subarray(start, nl))
        line = Buffer.concat(this.chunks, size)
        this.chunks = []
        this.buffered = 0
      }
      start = nl + 1
      let end = line.length
      if (end > 0 && line[end - 1] === 13) end--
      if (end > 0) this.onLine(line.toString('utf8', 0, end))
      if (this.failed) return
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start)
      this.buffered += rest.length
      if (this.buffered > this.maxFrame) return this.fail(this.buffered)
      // Copy: the socket may reuse the chunk's memory.
      this.chunks.push(Buffer.from(rest))
    }
  }

  private fail (size: number): void {
    this.failed = true
    this.chunks = []
    this.buffered = 0
    this.onOversize(size)
  }
}

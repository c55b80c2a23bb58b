/** Collects the broker's NDJSON log in memory so tests can assert on it (pino's own test style). */
import { Writable } from 'node:stream'

export interface LogRecord { level: number, msg: string, [k: string]: unknown }

export class LogSink extends Writable {
  readonly records: LogRecord[] = []
  private partial = ''
  override _write (chunk: Buffer, _enc: string, done: () => void): void {
    this.partial += chunk.toString('utf8')
    let nl: number
    while ((nl = this.partial.indexOf('\n')) !== -1) {
      const line = this.partial.slice(0, nl)
      this.partial = this.partial.slice(nl + 1)
      if (line !== '') this.records.push(JSON.parse(line) as LogRecord)
    }
    done()
  }

  find (predicate: (r: LogRecord) => boolean): LogRecord | undefined { return this.records.find(predicate) }
}

/**
 * The audit trail: who authenticated or failed to, which requests were
 * refused, which sessions were created, attached and detached, always with
 * the client's name. Every record goes to the broker's log (with an `audit`
 * field naming the event) and, when `audit_file` is set, as one JSON line to
 * that file as well.
 *
 * The file is append-only and bounded in memory: if the disk falls behind by
 * more than MAX_BUFFERED bytes, records are dropped (and the drop is logged)
 * rather than let a flood of refused requests grow the heap. What a client
 * can flood it with is bounded too: every string of a record is cut at
 * MAX_LOGGED_FIELD characters (log/bound.ts), and a connection's refusals
 * are recorded one by one only up to a budget, then summarised
 * (refusal-limit.ts).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../log/logger.js'
import { boundFields } from '../log/bound.js'
import { RefusalLimit, type RefusalSummary } from './refusal-limit.js'

export type AuditEvent =
  | 'auth.ok'
  | 'auth.failed'
  | 'request.refused'
  | 'request.refused.summary'
  | 'session.create'
  | 'session.attach'
  | 'session.detach'
  | 'session.revoked'
  | 'client.revoked'
  | 'clients.reload'

/** What a record says; `client` is the client's name ("anonymous" without a clients list). */
export interface AuditFields {
  client: string
  conn?: string
  remote?: string
  session?: string
  type?: string
  reason?: string
  [field: string]: unknown
}

const MAX_BUFFERED = 4 * 1024 * 1024

export class AuditLog {
  private stream: WriteStream | undefined
  private fileValue: string | undefined
  private dropped = 0
  private readonly refusals = new RefusalLimit(summary => { this.summarise(summary) })

  constructor (private readonly log: Logger, file?: string) {
    this.stream = this.open(file)
    this.fileValue = file
  }

  /** The audit file in use, if any. */
  get file (): string | undefined { return this.fileValue }

  /**
   * Writes one record. `log` is the logger of the unit of work (a
   * connection's child logger), so the log line carries its context; fields
   * it already has (conn, remote) are not repeated in the line.
   */
  record (log: Logger, level: 'info' | 'warn', event: AuditEvent, msg: string, fields: AuditFields): void {
    const bounded = boundFields(fields) as AuditFields
    if (event === 'request.refused' && typeof bounded.conn === 'string' && !this.refusals.admit(bounded.conn, bounded)) return
    this.write(log, level, event, msg, bounded)
  }

  private write (log: Logger, level: 'info' | 'warn', event: AuditEvent, msg: string, fields: AuditFields): void {
    const bound = log.bindings()
    const own = Object.fromEntries(Object.entries(fields).filter(([k]) => !Object.hasOwn(bound, k)))
    log[level]({ audit: event, ...own }, msg)
    const stream = this.stream
    if (stream === undefined) return
    if (stream.writableLength > MAX_BUFFERED) {
      if (this.dropped++ === 0) this.log.error({ file: this.fileValue }, 'audit file is not keeping up; dropping audit records until it does')
      return
    }
    if (this.dropped > 0) {
      this.log.warn({ file: this.fileValue, dropped: this.dropped }, 'audit file caught up; records were dropped')
      stream.write(JSON.stringify({ time: new Date().toISOString(), event: 'audit.dropped', count: this.dropped }) + '\n')
      this.dropped = 0
    }
    stream.write(JSON.stringify({ time: new Date().toISOString(), event, msg, ...fields }) + '\n')
  }

  private summarise ({ fields, suppressed }: RefusalSummary): void {
    const { client, conn, remote, type, reason } = fields
    this.write(this.log, 'warn', 'request.refused.summary', 'more refused requests of this connection, not recorded one by one', {
      client: typeof client === 'string' ? client : 'unknown',
      ...(typeof conn === 'string' ? { conn } : {}),
      ...(typeof remote === 'string' ? { remote } : {}),
      suppressed,
      ...(type === undefined ? {} : { last_type: type }),
      ...(reason === undefined ? {} : { last_reason: reason })
    })
  }

  /**
   * Opens `file` (the same path again after log rotation, a new one, or
   * none) and closes the current one. Throws, keeping the current file, when
   * the new one's folder cannot be made.
   */
  reopen (file?: string): void {
    const next = this.open(file)
    this.stream?.end()
    this.stream = next
    this.fileValue = file
  }

  /** Flushes and closes the file. Safe to call more than once. */
  async close (): Promise<void> {
    this.refusals.flush()
    const stream = this.stream
    this.stream = undefined
    if (stream === undefined) return
    await new Promise<void>(resolve => { stream.end(() => { resolve() }) })
  }

  private open (file: string | undefined): WriteStream | undefined {
    if (file === undefined) return undefined
    mkdirSync(dirname(file), { recursive: true })
    const stream = createWriteStream(file, { flags: 'a', mode: 0o600 })
    stream.on('error', e => { this.log.error({ file, err: e.message }, 'cannot write the audit file') })
    return stream
  }
}

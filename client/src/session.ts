/**
 * One broker session as a client sees it: typed requests, and its updates as
 * events and as async iterators, in order and each once (an update whose
 * `@seq` was already delivered, as a resume may replay it, is dropped).
 */
import { sessionPart, type BrokerClient, type RequestOptions, type UpdatesLost } from './client.js'
import { Emitter } from './emitter.js'
import { UpdateOverflowError } from './errors.js'
import { readFile, uploadFile, type FileSource, type ReadOptions, type UploadedFile, type UploadOptions } from './files.js'
import type { ResumeInfo, WireObject } from './protocol.js'
import type { Request, RequestName, Result, Update } from './types.js'

export interface BrokerSessionEvents {
  update: [Update]
  /** A resume could not fill a gap: updates from_seq..to_seq may be lost; re-read what matters. */
  updatesLost: [UpdatesLost]
  /** A resume after a reconnect went through (`resume` as the broker answered it). */
  resumed: [ResumeInfo | undefined]
  /** The broker detached this connection: the session stopped ('closed') or left the client's scope ('revoked'). */
  detached: ['closed' | 'revoked', string]
  /** An update iterator's consumer fell behind its bound; that iterator was ended with UpdateOverflowError. */
  overflow: [UpdateOverflowError]
}

export interface UpdateIteratorOptions {
  /** Updates held for a consumer that has not read them yet before the iterator ends with UpdateOverflowError (default 10000). */
  bufferSize?: number
}

/** One update iterator: its own bounded queue (read from `head`), and the next() calls waiting for an update. */
interface Reader {
  queue: Array<Update | undefined>
  head: number
  waiters: Array<{ resolve: (r: IteratorResult<Update>) => void, reject: (e: Error) => void }>
  error: Error | undefined
  done: boolean
  limit: number
}

const DONE: IteratorResult<Update> = Object.freeze({ value: undefined, done: true })

export class BrokerSession extends Emitter<BrokerSessionEvents> {
  private attachedValue = false
  private seq = 0
  private readonly readers = new Set<Reader>()
  private authState: WireObject | undefined
  /** `,"@session":"id"`, made once for every request of this session. */
  private readonly sessionText: string

  constructor (private readonly client: BrokerClient, readonly id: string) {
    super()
    this.sessionText = sessionPart(id)
  }

  get attached (): boolean { return this.attachedValue }
  /** The `@seq` of the last update delivered (a reconnect resumes after it). */
  get lastSeq (): number { return this.seq }
  /** The last authorization state seen (TDLib's object, e.g. `{"@type":"authorizationStateReady"}`). */
  get authorizationState (): WireObject | undefined { return this.authState }

  /** A TDLib request in this session, typed by its name: the answer's type follows from the request's. */
  invoke<N extends RequestName> (request: Request<N>, options?: RequestOptions): Promise<Result<N>> {
    return this.client.invokeWith(this.sessionText, request as unknown as WireObject, options) as unknown as Promise<Result<N>>
  }

  /** Sends a file's bytes into this session (broker.uploadFile, in parts); use the answer as the file of a request. */
  async uploadFile (source: FileSource, options?: UploadOptions): Promise<UploadedFile> {
    return await uploadFile(this.client, this.id, source, options)
  }

  /** Downloads a file of this session and returns its bytes (downloadFile, then broker.readFile in parts). */
  async readFile (fileId: number, options?: ReadOptions): Promise<Uint8Array> {
    return await readFile(this.client, this.id, fileId, options)
  }

  /** Detaches this connection (the session keeps running for other clients, or stops after terminate_delay). */
  async detach (): Promise<void> {
    if (!this.attachedValue) return
    this.attachedValue = false
    await this.client.request({ '@type': 'broker.detachSession', session: this.id })
    this.endReaders(undefined)
  }

  /** The session's updates from now on, in order; ends when the session is detached or the client closes. */
  updates (options: UpdateIteratorOptions = {}): AsyncIterableIterator<Update> {
    const reader: Reader = { queue: [], head: 0, waiters: [], error: undefined, done: false, limit: options.bufferSize ?? 10_000 }
    this.readers.add(reader)
    const iterator: AsyncIterableIterator<Update> = {
      next: () => {
        if (reader.head < reader.queue.length) {
          const value = reader.queue[reader.head] as Update
          reader.queue[reader.head++] = undefined
          if (reader.head === reader.queue.length) { reader.queue.length = 0; reader.head = 0 } else if (reader.head >= 4096 && reader.head * 2 >= reader.queue.length) { reader.queue = reader.queue.slice(reader.head); reader.head = 0 }
          return Promise.resolve({ value, done: false })
        }
        if (reader.error !== undefined) {
          const e = reader.error
          reader.error = undefined
          reader.done = true
          this.readers.delete(reader)
          return Promise.reject(e)
        }
        if (reader.done) return Promise.resolve(DONE)
        return new Promise((resolve, reject) => { reader.waiters.push({ resolve, reject }) })
      },
      return: () => {
        reader.done = true
        this.readers.delete(reader)
        reader.queue = []
        reader.head = 0
        for (const w of reader.waiters.splice(0)) w.resolve(DONE)
        return Promise.resolve(DONE)
      },
      [Symbol.asyncIterator] () { return iterator }
    }
    return iterator
  }

  /** Waits for the first update that matches, within a timeout (default 30 s). */
  async waitFor (match: (u: Update) => boolean, timeoutMs = 30_000): Promise<Update> {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.off('update', on); reject(new Error(`no matching update of session ${this.id} within ${timeoutMs} ms`)) }, timeoutMs)
      const on = (u: Update): void => { if (match(u)) { clearTimeout(timer); this.off('update', on); resolve(u) } }
      this.on('update', on)
    })
  }

  /** Resolves once the session's authorization state is `type` (at once if it is already). */
  async waitForAuthorizationState (type: string, timeoutMs = 30_000): Promise<void> {
    if (this.authState?.['@type'] === type) return
    await this.waitFor(u => u['@type'] === 'updateAuthorizationState' && (u as unknown as { authorization_state: WireObject }).authorization_state['@type'] === type, timeoutMs)
  }

  /** @internal */
  markAttached (): void { this.attachedValue = true }

  /** @internal An update from the broker. */
  deliver (message: WireObject): void {
    const seq = message['@seq']
    if (typeof seq === 'number') {
      if (seq <= this.seq) return
      this.seq = seq
    }
    if (message['@type'] === 'updateAuthorizationState') this.authState = message.authorization_state as WireObject
    const update = message as unknown as Update
    this.emitOne('update', update)
    if (this.readers.size === 0) return
    for (const reader of this.readers) {
      const waiter = reader.waiters.shift()
      if (waiter !== undefined) { waiter.resolve({ value: update, done: false }); continue }
      if (reader.queue.length - reader.head >= reader.limit) {
        const error = new UpdateOverflowError(this.id, reader.limit)
        reader.queue = []
        reader.head = 0
        reader.error = error
        this.readers.delete(reader)
        this.emit('overflow', error)
        continue
      }
      reader.queue.push(update)
    }
  }

  /** @internal */
  lost (lost: UpdatesLost): void { this.emit('updatesLost', lost) }

  /** @internal */
  resumed (resume: ResumeInfo | undefined): void { this.emit('resumed', resume) }

  /** @internal The broker's numbering restarted (LAST_SEQ_AHEAD): take its numbers from here on. */
  resetSeq (): void { this.seq = 0 }

  /** @internal */
  detachedByBroker (why: 'closed' | 'revoked', reason: string): void {
    this.attachedValue = false
    this.emit('detached', why, reason)
    this.endReaders(undefined)
  }

  /** @internal The client closed. */
  end (_reason: string): void {
    this.attachedValue = false
    this.endReaders(undefined)
  }

  private endReaders (error: Error | undefined): void {
    for (const reader of this.readers) {
      reader.done = true
      reader.error = error
      for (const w of reader.waiters.splice(0)) {
        if (error === undefined) w.resolve(DONE)
        else { reader.error = undefined; w.reject(error) }
      }
    }
    this.readers.clear()
  }
}

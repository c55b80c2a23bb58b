/**
 * tdl's receive loop asks for TDLib's next message as soon as its handler
 * has returned: `tdnew.receive()` wakes tdl's receive thread (a condition
 * variable: a futex system call, the thread put on a core) before the
 * promise reactions of the message just handed over have run. For an
 * answer, those reactions are what writes it to the client. So every round
 * trip paid for that wake-up before its answer could leave, and the woken
 * thread took a core while the client was being woken.
 *
 * After the answer to the last request in flight nothing is awaited from
 * TDLib: then the next receive of the loop waits for the check phase of the
 * event loop (setImmediate), after the answer's write. Messages TDLib sends
 * meanwhile (updates) wait in its queue until then, within the same turn of
 * the event loop. With more requests in flight every receive goes at once.
 */

/** The part of tdl's addon object that its receive loop calls (`tdjsonAddon.tdnew.receive()`). */
interface ReceivingAddon { tdnew?: { receive?: unknown } }

export class LateReceive {
  /** Receives that waited for the check phase (for tests and benchmarks). */
  deferred = 0
  private next = false

  /** Makes the next receive of tdl's loop wait for the check phase. */
  later (): void { this.next = true }

  /**
   * Puts itself in front of `receive` of tdl's addon object (a client's
   * `_tdjson`, the object tdl's loop calls). False when the object has no
   * such function: then nothing changes.
   */
  install (addon: unknown): boolean {
    const tdnew = (addon as ReceivingAddon | null)?.tdnew
    const receive = tdnew?.receive
    if (tdnew === undefined || typeof receive !== 'function') return false
    const original = receive as (this: unknown) => Promise<unknown>
    // tdl's loop calls it as tdjsonAddon.tdnew.receive(): tdnew is the receiver either way.
    tdnew.receive = (): Promise<unknown> => {
      if (!this.next) return original.call(tdnew)
      this.next = false
      this.deferred++
      return new Promise((resolve, reject) => {
        setImmediate(() => {
          try {
            resolve(original.call(tdnew))
          } catch (e) {
            // As a throw of receive() itself would end tdl's loop.
            reject(e)
          }
        })
      })
    }
    return true
  }
}

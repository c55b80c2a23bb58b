/**
 * Takes what TDLib has queued, on the main thread, in one go.
 *
 * tdl 8 receives one message per hand-off: its receive thread calls
 * td_receive, wakes the main thread, and waits until the main thread has
 * handled the message and asks for the next. Two thread wake-ups per answer;
 * on a virtual machine under load the kernel's scheduler was most of the
 * broker's CPU time (perf: finish_task_switch, try_to_wake_up), and when a
 * wake-up came late the answers trickled in one per event-loop turn.
 *
 * While the main thread handles a message from tdl's loop, tdl's thread is
 * parked (it calls td_receive again only once the handler has returned and the
 * loop asks), so the handler may call td_receive with a zero timeout itself:
 * TDLib allows calls from different threads, never at the same time. Each
 * message taken this way is handed to its client exactly as tdl's loop would
 * (JSON.parse, @client_id removed, handleReceive); what is still queued when
 * a handler throws stays in TDLib for tdl's loop.
 *
 * td_receive is reached through koffi (a foreign function interface with
 * prebuilt binaries); without it nothing changes (receiveNow is undefined).
 * td_receive takes messages of every TDLib client of the process, so every
 * tdl client must be known here, the broker's and any an embedding program
 * creates with tdl itself: registerEveryTdlClient hooks tdl's client class
 * before any client exists (tdl.configure, which precedes it, refuses to run
 * once one does). A message for an id nobody registered (a client already
 * closed) is dropped and counted in `unrouted`, as tdl drops it.
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** TDLib's next queued message as JSON text, or null when none is queued now. */
export type ReceiveNow = () => string | null

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown }
}

/** td_receive(0) of the libtdjson at `tdjsonPath` (the one tdl was configured with), or undefined without koffi. */
export function receiveNow (tdjsonPath: string): ReceiveNow | undefined {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi
    const receive = koffi.load(tdjsonPath).func('const char* td_receive(double)') as (timeout: number) => string | null
    return () => receive(0)
  } catch {
    return undefined
  }
}

/**
 * Whether tdl's receive loop (dist/index.js) has the shape the drain relies
 * on: one `await tdnew.receive()` at a time, the message handed to
 * `client.handleReceive` before the loop asks again. A tdl release that
 * changed it (receiving ahead, another thread) would have two td_receive
 * calls at once, which TDLib does not allow: then there is no drain, and
 * test/tdlib/tdl-backend.test.ts fails to say so.
 */
export function tdlLoopParksWhileHandling (): boolean {
  try {
    return loopParksWhileHandling(readFileSync(join(dirname(createRequire(import.meta.url).resolve('tdl')), 'index.js'), 'utf8'))
  } catch {
    return false
  }
}

/** The check of tdlLoopParksWhileHandling on the text of tdl's dist/index.js. */
export function loopParksWhileHandling (source: string): boolean {
  const loop = /async function receiveLoop\(\) \{([\s\S]*?)\n\}/.exec(source)?.[1]
  if (loop === undefined) return false
  const receives = loop.match(/\.receive\(/g)?.length ?? 0
  return receives === 1 && /await tdjsonAddon\.tdnew\.receive\(\)[\s\S]*client\.handleReceive\(res\)/.test(loop)
}

/**
 * Whether tdl's createAnyClient (dist/index.js) still learns each new
 * client's id through `client.getClientId()` right before putting it in its
 * own map, with nothing awaited in between: the moment registerEveryTdlClient
 * hooks. Another shape would leave clients the drain does not know.
 */
export function createRegistersThroughGetClientId (source: string): boolean {
  const create = /function createAnyClient\(([\s\S]*?)\n\}/.exec(source)?.[1]
  if (create === undefined) return false
  return /const (\w+) = client\.getClientId\(\);\s*clientMap\.set\(\1, client\);/.test(create) && !/await/.test(create)
}

interface TdlClientClass { prototype: { getClientId?: (this: Receiver & { once(event: 'close', f: () => void): unknown }) => unknown } }

/**
 * Makes every tdl client of the process register with `drain` when tdl
 * creates it (its getClientId, which tdl's createAnyClient calls once, right
 * after the constructor), and leave it when it closes. False when tdl's
 * code does not have the shape this relies on: then there must be no drain.
 */
export function registerEveryTdlClient (drain: Drain): boolean {
  try {
    const require = createRequire(import.meta.url)
    const index = require.resolve('tdl')
    if (!createRegistersThroughGetClientId(readFileSync(index, 'utf8'))) return false
    const { Client } = require(join(dirname(index), 'client.js')) as { Client?: TdlClientClass }
    const original = Client?.prototype.getClientId
    if (Client === undefined || typeof original !== 'function') return false
    const known = new WeakSet<object>()
    Client.prototype.getClientId = function (this: Receiver & { once(event: 'close', f: () => void): unknown }) {
      const id = original.call(this)
      if (typeof id === 'number' && !known.has(this)) {
        known.add(this)
        drain.add(id, this)
        this.once('close', () => { drain.remove(id) })
      }
      return id
    }
    return true
  } catch {
    return false
  }
}

/** What the drain calls: tdl's Client#handleReceive (or the backend's hook in its place). */
export interface Receiver {
  handleReceive(res: Record<string, unknown>): void
  emit(event: 'error', e: unknown): boolean
}

export class Drain {
  private readonly receivers = new Map<number, Receiver>()
  private draining = false
  /** Set when td_receive itself failed: from then on tdl's loop alone receives. */
  private broken = false
  /** Messages taken past tdl's loop (for tests and benchmarks). */
  drained = 0
  /** Drains run (each at least one td_receive call; for tests). */
  runs = 0
  /** Messages for a client id not registered here, dropped. */
  unrouted = 0

  constructor (private readonly receive: ReceiveNow) {}

  add (clientId: number, receiver: Receiver): void { this.receivers.set(clientId, receiver) }
  remove (clientId: number): void { this.receivers.delete(clientId) }

  /**
   * Hands every message TDLib has queued now to its client. Called at the end
   * of a handler of tdl's loop; a call from inside the drain (the handlers it
   * calls end the same way) returns at once.
   */
  run (): void {
    if (this.draining || this.broken) return
    this.draining = true
    this.runs++
    try {
      for (let text = this.receive(); text !== null; text = this.receive()) {
        const res = JSON.parse(text) as Record<string, unknown>
        const id = res['@client_id']
        const receiver = typeof id === 'number' ? this.receivers.get(id) : undefined
        if (receiver === undefined) {
          this.unrouted++
          continue
        }
        delete res['@client_id']
        this.drained++
        try {
          receiver.handleReceive(res)
        } catch (e) {
          // As tdl does with a failure of its own handler: the client reports it (and the backend closes it).
          receiver.emit('error', e)
        }
      }
    } catch {
      // Only td_receive or JSON.parse of TDLib's own text can get here: a bug or a changed libtdjson, never a client's doing.
      this.broken = true
    } finally {
      this.draining = false
    }
  }
}

/**
 * A small typed event emitter, the same in Node and in a browser (the
 * client's browser entry imports no node: module). Listeners run in the
 * order they were added; one that is removed while an event is being emitted
 * still sees that event, as with Node's EventEmitter.
 */
type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners: { [K in keyof E]?: Array<Listener<E[K]>> } = {}

  on<K extends keyof E> (event: K, listener: Listener<E[K]>): this {
    const list = this.listeners[event]
    // A new array each time: an emit in progress keeps iterating the one it started with.
    this.listeners[event] = list === undefined ? [listener] : [...list, listener]
    return this
  }

  addListener<K extends keyof E> (event: K, listener: Listener<E[K]>): this { return this.on(event, listener) }

  once<K extends keyof E> (event: K, listener: Listener<E[K]>): this {
    const wrapper: Listener<E[K]> & { listener?: Listener<E[K]> } = (...args) => { this.off(event, wrapper); listener(...args) }
    wrapper.listener = listener
    return this.on(event, wrapper)
  }

  off<K extends keyof E> (event: K, listener: Listener<E[K]>): this {
    const list = this.listeners[event]
    if (list === undefined) return this
    const i = list.findIndex(l => l === listener || (l as { listener?: unknown }).listener === listener)
    if (i === -1) return this
    const rest = [...list.slice(0, i), ...list.slice(i + 1)]
    if (rest.length === 0) delete this.listeners[event]
    else this.listeners[event] = rest
    return this
  }

  removeListener<K extends keyof E> (event: K, listener: Listener<E[K]>): this { return this.off(event, listener) }

  removeAllListeners (event?: keyof E): this {
    if (event === undefined) for (const k of Object.keys(this.listeners)) delete this.listeners[k as keyof E]
    else delete this.listeners[event]
    return this
  }

  listenerCount (event: keyof E): number { return this.listeners[event]?.length ?? 0 }

  /** emit() for an event with one argument, without the rest-argument array (the update path calls it once per update). */
  protected emitOne<K extends keyof E> (event: K, arg: E[K][0]): boolean {
    const list = this.listeners[event] as Array<(a: unknown) => void> | undefined
    if (list === undefined) return false
    if (list.length === 1) { (list[0] as (a: unknown) => void)(arg); return true }
    return this.emit(event, ...([arg] as unknown as E[K]))
  }

  /** Calls every listener of `event`; true when there was one. A listener that throws does not stop the others; the first error is thrown after. */
  emit<K extends keyof E> (event: K, ...args: E[K]): boolean {
    const list = this.listeners[event]
    if (list === undefined) return false
    if (list.length === 1) { (list[0] as Listener<E[K]>)(...args); return true }
    let failure: { error: unknown } | undefined
    for (const listener of list) {
      try { listener(...args) } catch (error) { failure ??= { error } }
    }
    if (failure !== undefined) throw failure.error
    return true
  }
}

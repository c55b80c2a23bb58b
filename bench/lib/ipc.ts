/**
 * The benchmark's child processes (broker, fan-out clients, direct TDLib)
 * answer commands over Node's IPC channel: { id, cmd, args } in, { id, ok,
 * result | error } out. Messages without an id are notifications.
 */

/** Texts of fan-out messages start with this, then `<index>:<hrtime ns>:`. */
export const FANOUT_MARKER = 'fanout#'

/**
 * Sent to every real TDLib client before setTdlibParameters, by the broker
 * child and the direct baseline alike: sessions start for real but never
 * connect to Telegram.
 */
export const NETWORK_NONE = { '@type': 'setNetworkType', type: { '@type': 'networkTypeNone' } } as const

export interface FanoutPlan {
  /** Sender (a sandbox user id) and the chat as the sender sees it. */
  readonly from: number
  readonly chat: number
  /** Index of the first message; indexes are unique across runs of one broker. */
  readonly firstIndex: number
  readonly messages: number
  /** Messages produced but not yet seen by every client, at most. */
  readonly window: number
  /** Messages produced per event-loop turn, at most. */
  readonly batch: number
}

/** A run of the paced sender's floor (child/fanout-floor.ts). */
export interface FloorPlan {
  readonly firstIndex: number
  readonly messages: number
  /** Messages per second. */
  readonly pace: number
  /** How often the clock is looked at (ms); each look writes what is due. */
  readonly tickMs: number
  /** The line before and after the message text (a JSON string's content), without the newline. */
  readonly prefix: string
  readonly suffix: string
}

export interface CommandMessage { id: number, cmd: string, args: unknown }
export interface NoticeMessage { notice: string, args: unknown }
export type ReplyMessage = { id: number, ok: true, result: unknown } | { id: number, ok: false, error: string }

export type Handler = (args: any) => unknown

/**
 * Serves commands in a child process. `notices` handles messages without an
 * id. When the parent goes away the child runs `onDisconnect` and exits.
 */
export function serveCommands (handlers: Record<string, Handler>, notices: Record<string, (args: any) => void> = {}, onDisconnect: () => Promise<void> = async () => {}): void {
  process.on('message', (raw: unknown) => {
    const message = raw as Partial<CommandMessage & NoticeMessage>
    if (typeof message.notice === 'string') {
      notices[message.notice]?.(message.args)
      return
    }
    const id = message.id ?? -1
    const handler = handlers[message.cmd ?? '']
    if (handler === undefined) {
      process.send?.({ id, ok: false, error: `unknown command ${String(message.cmd)}` })
      return
    }
    Promise.resolve().then(() => handler(message.args)).then(result => {
      process.send?.({ id, ok: true, result: result ?? null })
    }, (e: unknown) => {
      process.send?.({ id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) })
    })
  })
  process.on('disconnect', () => { void onDisconnect().finally(() => process.exit(0)) })
}

/** Runs gc twice when node runs with --expose-gc (memory figures then count live data only). */
export function collectGarbage (): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) { gc(); gc() }
}

/** This process's memory, after a collection. */
export function memoryNow (): ProcessMemory {
  collectGarbage()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }
}

/** What memoryNow reports, in bytes. */
export interface ProcessMemory { rss: number, heapUsed: number, heapTotal: number, external: number }

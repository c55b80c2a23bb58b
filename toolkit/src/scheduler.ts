/**
 * Events scheduled for later (the seed's proposal 1: fire_event with a
 * delay): message deletions and named timers. They live in the database, so
 * what was due while the process was down fires when it starts again. One
 * Node timer is armed at a time, for the earliest event.
 */
import type { ScheduledEvent, ToolkitStore } from './store.js'

/** What firing an event came to: done (the row goes), or try again after this many ms. */
export type FireOutcome = { done: true } | { done: false, retryInMs: number }

const BATCH = 100
// setTimeout's limit: a longer delay fires at once.
const MAX_DELAY = 2 ** 31 - 1

export class Scheduler {
  private timer: NodeJS.Timeout | undefined
  private firing = false
  private stopped = true
  private running: Promise<void> | undefined

  constructor (
    private readonly store: ToolkitStore,
    private readonly fire: (event: ScheduledEvent) => Promise<FireOutcome>,
    private readonly now: () => number
  ) {}

  start (): void { this.stopped = false; this.arm() }

  /** Stops firing; resolves once events being fired now are settled. */
  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  scheduleDeletion (chatId: number, messageId: number, dueAt: number): void {
    this.store.scheduleDeletion(chatId, messageId, dueAt)
    this.arm()
  }

  scheduleTimer (chatId: number, name: string, dueAt: number): void {
    this.store.scheduleTimer(chatId, name, dueAt)
    this.arm()
  }

  cancelTimer (chatId: number, name: string): boolean {
    const had = this.store.cancelTimer(chatId, name)
    this.arm()
    return had
  }

  private arm (): void {
    if (this.stopped || this.firing) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const due = this.store.nextDue()
    if (due === undefined) return
    this.timer = setTimeout(() => { this.running = this.run() }, Math.min(MAX_DELAY, Math.max(0, due - this.now())))
  }

  private async run (): Promise<void> {
    this.timer = undefined
    this.firing = true
    try {
      for (;;) {
        const batch = this.store.due(this.now(), BATCH)
        if (batch.length === 0 || this.stopped) break
        await Promise.all(batch.map(async event => {
          const outcome = await this.fire(event)
          if (outcome.done) this.store.doneEvent(event.id)
          else this.store.postpone(event.id, this.now() + outcome.retryInMs)
        }))
      }
    } finally {
      this.firing = false
      this.arm()
    }
  }
}

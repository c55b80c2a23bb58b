/**
 * A consumer's queue on disk: one small JSON file, replaced atomically
 * (written beside, then renamed), so a crash leaves the old or the new
 * file, never half of one. Writes are coalesced: however many updates
 * arrive while one write runs, the next write carries them all.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface QueueEntry {
  readonly update_id: number
  readonly kind: string
  readonly update: Record<string, unknown>
  /** The chat the update is about, if any (a consumer group keeps a chat on one instance). */
  readonly chat?: number
  /** The group instance the update was given to (consumer groups only). */
  owner?: string
}

export interface QueueState {
  /** The update_id the next update gets. */
  next_id: number
  /** The consumer's last allowed_updates (getUpdates or setWebhook); absent: the default kinds. */
  allowed_updates?: string[]
  entries: QueueEntry[]
  /** The webhook set with setWebhook, if one is. */
  webhook?: WebhookState
  /** A consumer group's chat owners: [chat key, instance] (group.ts). */
  chat_owners?: Array<[string, string]>
}

export interface WebhookState {
  url: string
  secret_token?: string
  max_connections: number
}

/** Reads a saved queue; undefined when there is none. Throws with the file's name when it is unusable. */
export async function readQueueFile (file: string): Promise<QueueState | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
  const data = JSON.parse(text) as Partial<QueueState>
  if (typeof data.next_id !== 'number' || !Array.isArray(data.entries)) throw new Error(`${file} is not a Bot API queue file`)
  const entries = data.entries.filter(e => typeof e?.update_id === 'number' && typeof e.kind === 'string' && typeof e.update === 'object')
  for (const e of entries) {
    if (e.chat !== undefined && typeof e.chat !== 'number') delete (e as { chat?: unknown }).chat
    if (e.owner !== undefined && typeof e.owner !== 'string') delete e.owner
  }
  const webhook = typeof data.webhook?.url === 'string' ? { webhook: data.webhook } : {}
  const owners = Array.isArray(data.chat_owners) ? { chat_owners: data.chat_owners.filter(o => Array.isArray(o) && typeof o[0] === 'string' && typeof o[1] === 'string') } : {}
  return { next_id: data.next_id, entries, ...(Array.isArray(data.allowed_updates) ? { allowed_updates: data.allowed_updates.map(String) } : {}), ...webhook, ...owners }
}

/** Saves a queue's state, the latest one given winning; flush() waits for what was asked so far. */
export class QueueWriter {
  private pending: QueueState | undefined
  private running: Promise<void> | undefined
  private failed: ((e: Error) => void) | undefined

  constructor (private readonly file: string, onError: (e: Error) => void) { this.failed = onError }

  save (state: QueueState): void {
    this.pending = state
    this.running ??= this.loop()
  }

  async flush (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  private async loop (): Promise<void> {
    // One turn of the event loop first, so a burst of updates is one write.
    await new Promise(resolve => setImmediate(resolve))
    try {
      await mkdir(dirname(this.file), { recursive: true })
      while (this.pending !== undefined) {
        const state = this.pending
        this.pending = undefined
        const tmp = `${this.file}.tmp`
        await writeFile(tmp, JSON.stringify(state))
        await rename(tmp, this.file)
      }
    } catch (e) {
      this.failed?.(e as Error)
    } finally {
      this.running = undefined
    }
  }
}

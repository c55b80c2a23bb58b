/**
 * A consumer's queue state, as queue-log.ts records it whole, and the former
 * format that kept it in a JSON file of its own per consumer
 * (`<session folder>/bot-api/<consumer>.json`): such a file is read once
 * into the session's log (queue.ts), then removed.
 */
import { readFile } from 'node:fs/promises'

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
  return checkQueueState(JSON.parse(text), file)
}

/** A queue's state as read from JSON, its fields checked; throws with the file's name when it is not one. */
export function checkQueueState (parsed: unknown, file: string): QueueState {
  const data = (parsed ?? {}) as Partial<QueueState>
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

/**
 * How an owner's updates look on the update stream. One message holds one
 * update (its body the update, header Tdb-Seq its @seq) or, when updates
 * come faster than one round trip to NATS, a batch of up to BATCH_UPDATES
 * (header Tdb-Batch: how many; body [[seq, update], ...]; Tdb-Seq the last
 * one's @seq). The owner publishes one message at a time and waits for its
 * acknowledgement, so the stream's order is the session's order; batching
 * is what lets that keep up with a busy session (one publish per update
 * let the backlog, and the delay to every client, grow without end).
 */
import type { TdObject } from '../tdlib/backend.js'

/** Header with the session's own sequence number of an update (the last one of a batch). */
export const SEQ_HEADER = 'Tdb-Seq'
/** Header with the number of updates of a batch (absent: one update). */
export const BATCH_HEADER = 'Tdb-Batch'
/** Header of the stream's non-update events ("closed": TDLib closed the session itself). */
export const EVENT_HEADER = 'Tdb-Event'

/**
 * Header of every owner's message: "<lease revision> <node>", the revision of
 * the lease it took the session with. A later owner's lease has a higher
 * revision, so a refused owner tells a newer owner's message from anything else.
 */
export const OWNER_HEADER = 'Tdb-Owner'

/** Most updates in one message. */
export const BATCH_UPDATES = 256
/** About the most bytes of one message (NATS's default max_payload is 1 MiB); one update alone may be larger. */
export const BATCH_BYTES = 512 * 1024

export interface StreamUpdate { seq: number, update: TdObject }

/** The body and headers of one message for `updates` (in order, at least one). */
export function encodeUpdates (updates: ReadonlyArray<{ seq: number, json: string }>): { body: string, headers: Record<string, string> } {
  const last = updates[updates.length - 1] as { seq: number }
  if (updates.length === 1) return { body: (updates[0] as { json: string }).json, headers: { [SEQ_HEADER]: String(last.seq) } }
  return {
    body: `[${updates.map(u => `[${u.seq},${u.json}]`).join(',')}]`,
    headers: { [SEQ_HEADER]: String(last.seq), [BATCH_HEADER]: String(updates.length) }
  }
}

const isUpdate = (v: unknown): v is TdObject => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as TdObject)['@type'] === 'string'

/**
 * The updates of one message. Throws on a body that is not what an owner
 * writes (something else published on the subject): the caller logs and skips it.
 */
export function decodeUpdates (header: (name: string) => string | undefined, body: string): StreamUpdate[] {
  const parsed: unknown = JSON.parse(body)
  if (header(BATCH_HEADER) === undefined || header(BATCH_HEADER) === '') {
    const seq = Number(header(SEQ_HEADER))
    if (!Number.isSafeInteger(seq) || seq < 1 || !isUpdate(parsed)) throw new Error('not an update with a Tdb-Seq header')
    return [{ seq, update: parsed }]
  }
  if (!Array.isArray(parsed)) throw new Error('a batch that is not an array')
  return parsed.map(item => {
    if (!Array.isArray(item) || !Number.isSafeInteger(item[0]) || (item[0] as number) < 1 || !isUpdate(item[1])) throw new Error('a batch item that is not [seq, update]')
    return { seq: item[0] as number, update: item[1] }
  })
}

/**
 * One object for identical updates across sessions. Every session starts
 * with the same hundred or so updates (updateOption above all: the same
 * limits and bot ids in every session), and each session's buffer holds them
 * for resuming clients: as separate objects that is most of what an idle
 * session costs the broker. Updates of the types below are replaced by a
 * deeply frozen object per distinct JSON, made from that JSON (so no
 * backend or other holder of the original can change it), kept in a bounded
 * process-wide cache; the session id and sequence number stay outside the
 * object (OutgoingUpdate). Nothing may modify an update the broker holds
 * anyway (policy/local-paths.ts and the other views copy); frozen, an
 * attempt throws instead of changing what other sessions send.
 *
 * Only small updates of types that describe settings are looked up: the key
 * is the update's JSON, so each lookup costs a serialisation, which messages
 * and chats (different in every session) would pay for nothing.
 */
import type { TdObject } from '../tdlib/backend.js'

/** Types whose values are mostly the same in every session. */
export const SHARED_TYPES: ReadonlySet<string> = new Set([
  'updateOption',
  'updateConnectionState',
  'updateDefaultBackground',
  'updateFileDownloads',
  'updateGroupCallMessageLevels',
  'updateAnimationSearchParameters',
  'updateDiceEmojis',
  'updateActiveEmojiReactions',
  'updateDefaultReactionType',
  'updateDefaultPaidReactionType',
  'updateSpeechRecognitionTrial',
  'updateStoryStealthMode',
  'updateAccentColors',
  'updateProfileAccentColors',
  'updateReactionNotificationSettings',
  'updateScopeNotificationSettings'
])

/** Longest JSON shared: larger ones are kept as they came. */
export const MAX_SHARED_JSON = 2048
/** Most distinct updates the cache holds (the least recently used go first). */
export const MAX_SHARED = 1024

export class SharedUpdates {
  private readonly cache = new Map<string, TdObject>()
  hits = 0
  misses = 0

  constructor (private readonly maxEntries = MAX_SHARED, private readonly maxJson = MAX_SHARED_JSON) {}

  get size (): number { return this.cache.size }

  /** The shared, frozen object equal to `update`, or `update` itself when it is not of a shared type or too large. */
  share (update: TdObject): TdObject {
    if (!SHARED_TYPES.has(update['@type'])) return update
    const json = JSON.stringify(update)
    if (json.length > this.maxJson) return update
    const known = this.cache.get(json)
    if (known !== undefined) {
      this.hits++
      // Most recently used last, so eviction takes the least recently used.
      this.cache.delete(json)
      this.cache.set(json, known)
      return known
    }
    this.misses++
    const shared = deepFreeze(JSON.parse(json) as TdObject)
    this.cache.set(json, shared)
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
    return shared
  }
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** The process's cache, for every session. */
export const sharedUpdates = new SharedUpdates()

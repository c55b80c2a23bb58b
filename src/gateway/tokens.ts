/**
 * Bot API tokens: `<bot user id>:<secret>`, issued by `tdbroker bot-token add`
 * and stored only as a scrypt hash (clients/key-hash.ts), like client keys.
 * A token is checked once against the hashes of the consumers of its bot id;
 * the answer is then remembered under the token's SHA-256, so a framework's
 * steady stream of requests does not cost a scrypt each.
 */
import crypto, { createHash, randomBytes } from 'node:crypto'
import { parseKeyHash, verifyClientKey, type KeyHash } from '../clients/key-hash.js'
import type { BotApiConsumerSettings } from '../settings/types.js'

/** Longest token looked at; anything longer cannot be one of ours. */
const MAX_TOKEN = 128
/** Remembered wrong tokens, so a client retrying a bad token costs one check (oldest forgotten first). */
const MAX_REMEMBERED_WRONG = 4096
const TOKEN = /^(\d{1,15}):([A-Za-z0-9_-]{16,100})$/

/**
 * A token's SHA-256 (base64url), the key it is remembered under: crypto.hash
 * (Node 20.12 and later) does it in one call, at half the cost of a Hash object.
 */
const digestOf: (token: string) => string = typeof crypto.hash === 'function'
  ? token => crypto.hash('sha256', token, 'base64url')
  : token => createHash('sha256').update(token).digest('base64url')

/** A new token for the bot `botId`: its id, then 256 random bits (base64url, as Bot API secrets use). */
export function newBotToken (botId: number): string {
  return `${botId}:${randomBytes(32).toString('base64url')}`
}

interface Candidate { readonly consumer: BotApiConsumerSettings, readonly hash: KeyHash }

export class TokenDirectory {
  private readonly byBot = new Map<number, Candidate[]>()
  private readonly known = new Map<string, BotApiConsumerSettings>()
  private readonly wrong = new Set<string>()

  constructor (consumers: readonly BotApiConsumerSettings[]) {
    for (const consumer of consumers) {
      const hash = parseKeyHash(consumer.token_hash)
      // Settings validation checks the hash's form; an unusable one here means it was bypassed.
      if (typeof hash === 'string') throw new Error(`bot_api.consumers: ${consumer.name}: token_hash ${hash}`)
      const list = this.byBot.get(consumer.bot_id) ?? []
      list.push({ consumer, hash })
      this.byBot.set(consumer.bot_id, list)
    }
  }

  /** The consumer of a token already checked and found right, without any new check. */
  cached (token: string): BotApiConsumerSettings | undefined {
    if (token.length > MAX_TOKEN) return undefined
    return this.known.get(digestOf(token))
  }

  /** The consumer this token stands for, or undefined. */
  async lookup (token: string): Promise<BotApiConsumerSettings | undefined> {
    if (token.length > MAX_TOKEN) return undefined
    const m = TOKEN.exec(token)
    if (m === null) return undefined
    const digest = digestOf(token)
    const hit = this.known.get(digest)
    if (hit !== undefined) return hit
    if (this.wrong.has(digest)) return undefined
    for (const candidate of this.byBot.get(Number(m[1])) ?? []) {
      if (await verifyClientKey(token, candidate.hash)) {
        this.known.set(digest, candidate.consumer)
        return candidate.consumer
      }
    }
    if (this.wrong.size >= MAX_REMEMBERED_WRONG) this.wrong.delete(this.wrong.values().next().value as string)
    this.wrong.add(digest)
    return undefined
  }
}

/**
 * request_peers: before a listed request reaches TDLib, usernames and phone
 * numbers in its listed fields become ids, resolved in the request's own
 * session (or taken from the shared cache). An unresolvable value is refused
 * with an error naming the field and the value, and nothing reaches TDLib.
 *
 * A cached id may be one this session has never seen, which TDLib refuses
 * ("Chat not found", "User not found"). Then every cached value of the
 * request is resolved again through this session's TDLib, which makes the
 * session see it, and the request is sent once more. Only the first attempt
 * can fail that way, and a failed attempt changed nothing, so the retry is
 * safe even for sendMessage.
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import type { Settings } from '../settings/types.js'
import { isTdError, type TdObject } from '../tdlib/backend.js'
import { classifyPeer, isUserField } from './peer-value.js'
import { TdlibRefusal, type PeerQuery, type PeerResolver, type PeerSession, type Resolved } from './resolver.js'

/** TDLib's answers meaning "this session does not know that user or chat". */
const UNKNOWN_PEER = new Set([
  'Chat not found', 'User not found', 'Bot not found', 'Invalid user identifier', 'Invalid bot user identifier',
  'PEER_ID_INVALID', 'USER_ID_INVALID', 'BOT_ID_INVALID', 'Have no access to the chat',
])

export function isUnknownPeer (answer: TdObject): boolean {
  return isTdError(answer) && (answer.code === 400 || answer.code === 404) && UNKNOWN_PEER.has(answer.message)
}

/** The queries a request needs, or throws PEER_INVALID. */
export function peerQueries (request: TdObject, fields: readonly string[]): PeerQuery[] {
  const queries: PeerQuery[] = []
  for (const field of fields) {
    if (!Object.hasOwn(request, field)) continue
    const value = request[field]
    const peer = classifyPeer(value)
    const name = `${request['@type']}.${field}`
    if (peer.kind === 'id') continue
    if (peer.kind === 'invalid') {
      throw new BrokerError('PEER_INVALID', `${name} ${JSON.stringify(value)} is not an id, a username (@name) or a phone number (+79991234567)`)
    }
    queries.push({ key: field, field: name, value: String(value), peer, want: isUserField(field) ? 'user' : 'chat' })
  }
  return queries
}

async function resolveAll (resolver: PeerResolver, session: PeerSession, queries: readonly PeerQuery[], fresh: boolean): Promise<Resolved[]> {
  const out: Resolved[] = []
  for (const query of queries) out.push(await resolver.resolve(session, query, fresh))
  return out
}

function withIds (request: TdObject, queries: readonly PeerQuery[], resolved: readonly Resolved[]): TdObject {
  const copy: TdObject = { ...request }
  queries.forEach((q, i) => { copy[q.key] = resolved[i]!.id })
  return copy
}

/** The pipeline step. Settings are read per request (`settings` is a getter), so it follows a reload. */
export function resolveStep (settings: () => Pick<Settings, 'request_peers'>, resolver: PeerResolver): Step {
  return async (ctx, next) => {
    const peers = settings().request_peers
    const original = ctx.request
    const fields = Object.hasOwn(peers, original['@type']) ? peers[original['@type']] : undefined
    if (fields === undefined) return await next()
    const queries = peerQueries(original, fields)
    if (queries.length === 0) return await next()
    if (ctx.client.policy.chats !== undefined) for (const q of queries) q.mayImportContact = false
    try {
      let resolved = await resolveAll(resolver, ctx.session, queries, false)
      ctx.request = withIds(original, queries, resolved)
      const answer = await next()
      if (!isUnknownPeer(answer) || !resolved.some(r => r.cached)) return answer
      ctx.log.info({ session: ctx.session.id, type: original['@type'], err: (answer as { message?: string }).message }, 'a cached id is unknown to this session; resolving through TDLib and retrying once')
      resolved = await resolveAll(resolver, ctx.session, queries, true)
      ctx.request = withIds(original, queries, resolved)
      return await next()
    } catch (e) {
      if (e instanceof TdlibRefusal) return e.answer
      throw e
    }
  }
}

/**
 * request_peers: before a listed request reaches TDLib, usernames and phone
 * numbers at its listed paths (peer-paths.ts: fields, every element of a
 * list, nested fields) become ids, resolved in the request's own session
 * (resolver.ts). An unresolvable value is refused with an error naming the
 * place and the value, and nothing reaches TDLib.
 *
 * Every id is one this session's TDLib has shown to fit (its own lookup, or
 * a cached id it confirmed), so the request goes to TDLib once.
 */
import { BrokerError } from '../errors.js'
import type { Step } from '../server/pipeline.js'
import type { Settings } from '../settings/types.js'
import type { TdObject } from '../tdlib/backend.js'
import { valuesAt, withValues } from './peer-paths.js'
import { classifyPeer, isUserField } from './peer-value.js'
import { TdlibRefusal, type PeerQuery, type PeerResolver } from './resolver.js'

/** Most usernames and phone numbers resolved for one request (ids do not count). */
export const MAX_PEERS_PER_REQUEST = 50

/** The queries a request needs, or throws PEER_INVALID. */
export function peerQueries (request: TdObject, paths: readonly string[]): PeerQuery[] {
  const queries: PeerQuery[] = []
  for (const path of paths) {
    const leaf = path.slice(path.lastIndexOf('.') + 1)
    for (const { keys, where, value } of valuesAt(request, path)) {
      const peer = classifyPeer(value)
      if (peer.kind === 'id') continue
      if (peer.kind === 'invalid') {
        throw new BrokerError('PEER_INVALID', `${where} ${JSON.stringify(value)} is not an id, a username (@name) or a phone number (+79991234567)`)
      }
      if (queries.length === MAX_PEERS_PER_REQUEST) {
        throw new BrokerError('PEER_INVALID', `more than ${MAX_PEERS_PER_REQUEST} usernames and phone numbers to resolve in one ${request['@type']}; send ids for the rest`)
      }
      queries.push({ keys, field: where, value: String(value), peer, want: isUserField(leaf) ? 'user' : 'chat' })
    }
  }
  return queries
}

/** The pipeline step. Settings are read per request (`settings` is a getter), so it follows a reload. */
export function resolveStep (settings: () => Pick<Settings, 'request_peers'>, resolver: PeerResolver): Step {
  return async (ctx, next) => {
    const peers = settings().request_peers
    const type = ctx.request['@type']
    const paths = Object.hasOwn(peers, type) ? peers[type] : undefined
    if (paths === undefined) return await next()
    const queries = peerQueries(ctx.request, paths)
    if (queries.length === 0) return await next()
    let ids: number[]
    try {
      ids = await resolver.resolveAll(ctx.session, queries, ctx.client.policy.chats)
    } catch (e) {
      if (e instanceof TdlibRefusal) return e.answer
      throw e
    }
    ctx.request = withValues(ctx.request, queries.map((q, i) => ({ keys: q.keys, value: ids[i] }))) as TdObject
    return await next()
  }
}

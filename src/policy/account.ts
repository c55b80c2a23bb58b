/**
 * Requests that act on the whole account or on the broker's own session,
 * rather than on a chat: the login flow, setOption, the proxy and network
 * settings, close, destroy and logOut. A client sends them only when its
 * scope allows it (docs/clients.md, "Login and account-wide requests").
 *
 * Login requests are found from TDLib's schema (REQUEST_EFFECTS: the doc of
 * each says it works only in some authorization state, or it ends the
 * authorization); the account-wide ones are named here, since TDLib's doc
 * does not single them out.
 */
import { BrokerError } from '../errors.js'
import type { TdObject } from '../tdlib/backend.js'
import type { ClientPolicy } from './policy.js'
import { REQUEST_EFFECTS } from './tdlib-fields.js'

/**
 * Requests that change the session for every client of it, or make the
 * broker's host connect where the client says: allowed with scope.account.
 */
export const ACCOUNT_REQUESTS: ReadonlySet<string> = new Set([
  'addProxy', 'editProxy', 'enableProxy', 'disableProxy', 'removeProxy', 'testProxy', 'pingProxy',
  'setNetworkType', 'close', 'destroy', 'logOut'
])

/**
 * Options only a scope that lists them may set: they make TDLib write where
 * the client says on the broker's host.
 */
export const RESERVED_OPTIONS: ReadonlySet<string> = new Set(['language_pack_database_path'])

/** The kind of account-level request `type` is, or undefined for an ordinary one. */
export function accountKind (type: string): 'login' | 'account' | 'option' | undefined {
  if (type === 'setOption') return 'option'
  if (ACCOUNT_REQUESTS.has(type)) return 'account'
  const effect = Object.hasOwn(REQUEST_EFFECTS, type) ? REQUEST_EFFECTS[type] : undefined
  if (effect === 'lifecycle') return 'account'
  if (effect === 'login') return 'login'
  return undefined
}

/** Throws REQUEST_NOT_ALLOWED when the policy does not allow this account-level request. */
export function checkAccountRequest (request: TdObject, policy: ClientPolicy): void {
  const type = request['@type']
  const kind = accountKind(type)
  if (kind === 'login' && !policy.login) {
    throw new BrokerError('REQUEST_NOT_ALLOWED', `${type} is a login request, which this client's scope does not allow (scope.login)`)
  }
  if (kind === 'account' && !policy.account) {
    throw new BrokerError('REQUEST_NOT_ALLOWED', `${type} acts on the whole session or the broker's host, which this client's scope does not allow (scope.account)`)
  }
  if (kind === 'option') {
    const name = request.name
    if (typeof name !== 'string') throw new BrokerError('INVALID_REQUEST', 'setOption needs the option name as a string')
    if (!policy.allowsOption(name)) {
      throw new BrokerError('REQUEST_NOT_ALLOWED', `option ${JSON.stringify(name.slice(0, 64))} is not one this client may set (scope.options)`)
    }
  }
}

/** Fields of an authorization state a client without scope.login does not get: all but its @type. */
export function authorizationStateView (update: TdObject): TdObject {
  const state = update.authorization_state
  const type = state !== null && typeof state === 'object' ? (state as Record<string, unknown>)['@type'] : undefined
  return { '@type': update['@type'], authorization_state: { '@type': typeof type === 'string' ? type : 'authorizationStateClosed' } }
}

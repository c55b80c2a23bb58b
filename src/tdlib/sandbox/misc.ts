/**
 * Requests that need no login: options, proxies, the test* methods, and the
 * synchronous methods `execute` answers.
 */
import type { TdObject } from '../backend.js'
import { ok, TdFailure, bool, fail, int, str, tdError, typeOf, type Req, type Res, type Td, type Tl } from './td.js'
import { parseHtml, parseMarkdown } from './text.js'
import { findTextEntities } from './autolink.js'
import type { OpenHandlers } from './dispatch.js'

export const TDLIB_VERSION = '1.8.65'
export const TDLIB_COMMIT = '062f26052623dbecedb42075cab78a759e9f9987'
/** getOption answers true for this in the sandbox, so a client can tell where it is. */
export const SANDBOX_OPTION = 'tdbroker_sandbox'

/** Options every client has, whatever its state. */
export function builtinOption (name: string): Td<Tl.OptionValue> | undefined {
  switch (name) {
    case 'version': return { '@type': 'optionValueString', value: TDLIB_VERSION }
    case 'commit_hash': return { '@type': 'optionValueString', value: TDLIB_COMMIT }
    case SANDBOX_OPTION: return { '@type': 'optionValueBoolean', value: true }
    case 'unix_time': return { '@type': 'optionValueInteger', value: String(Math.floor(Date.now() / 1000)) }
    default: return undefined
  }
}

function proxyType (input: Req<'addProxy'>['proxy']): Td<Tl.ProxyType> {
  const type = input?.type
  switch (type?.['@type']) {
    case 'proxyTypeSocks5': return { '@type': 'proxyTypeSocks5', username: str(type.username), password: str(type.password) }
    case 'proxyTypeHttp': return { '@type': 'proxyTypeHttp', username: str(type.username), password: str(type.password), http_only: bool(type.http_only) }
    case 'proxyTypeMtproto': return { '@type': 'proxyTypeMtproto', secret: str(type.secret) }
    default: return fail(400, 'Proxy type must be non-empty')
  }
}

let nextProxyId = 1

export const miscHandlers: OpenHandlers = {
  getAuthorizationState: ({ client }) => client.authorizationState,

  getOption: ({ client }, req) => client.option(str(req.name)),

  setOption: ({ client }, req) => {
    const name = str(req.name)
    if (name === '' || builtinOption(name) !== undefined) fail(400, `Option "${name}" can't be set`)
    const value = req.value
    switch (value?.['@type']) {
      case 'optionValueBoolean': client.options.set(name, { '@type': 'optionValueBoolean', value: bool(value.value) }); break
      case 'optionValueInteger': client.options.set(name, { '@type': 'optionValueInteger', value: String(int(value.value)) }); break
      case 'optionValueString': client.options.set(name, { '@type': 'optionValueString', value: str(value.value) }); break
      default: client.options.delete(name)
    }
    return ok()
  },

  // The sandbox never dials out; a proxy is accepted and recorded, nothing more.
  addProxy: (_ctx, req) => {
    const server = str(req.proxy?.server)
    const port = int(req.proxy?.port)
    if (server === '') fail(400, 'Server name must be non-empty')
    if (port <= 0 || port > 65535) fail(400, 'Wrong port number')
    return {
      '@type': 'addedProxy',
      id: nextProxyId++,
      last_used_date: 0,
      is_enabled: bool(req.enable),
      comment: str(req.comment),
      proxy: { '@type': 'proxy', server, port, type: proxyType(req.proxy) },
    }
  },

  testCallEmpty: () => ok(),
  testCallString: (_ctx, req) => ({ '@type': 'testString', value: str(req.x) }),
  testSquareInt: (_ctx, req) => ({ '@type': 'testInt', value: int(req.x) * int(req.x) }),
  testReturnError: (_ctx, req) => ({ '@type': 'error', code: int(req.error?.code), message: str(req.error?.message) }),
  testNetwork: () => ok(),
}

type SyncName = 'getTextEntities' | 'parseTextEntities' | 'getOption' | 'setLogVerbosityLevel'
  | 'getLogVerbosityLevel' | 'setLogStream' | 'getLogStream' | 'testReturnError'

const SYNC: { [M in SyncName]: (req: Req<M>) => Res<M> } = {
  getTextEntities: req => ({ '@type': 'textEntities', entities: findTextEntities(str(req.text)) }),
  parseTextEntities: req => {
    const mode = req.parse_mode
    if (mode?.['@type'] === 'textParseModeHTML') return parseHtml(str(req.text))
    if (mode?.['@type'] === 'textParseModeMarkdown') return parseMarkdown(str(req.text), int(mode.version))
    return fail(400, 'Parse mode must be non-empty')
  },
  getOption: req => builtinOption(str(req.name)) ?? { '@type': 'optionValueEmpty' },
  setLogVerbosityLevel: () => ok(),
  getLogVerbosityLevel: () => ({ '@type': 'logVerbosityLevel', verbosity_level: 1 }),
  setLogStream: () => ok(),
  getLogStream: () => ({ '@type': 'logStreamDefault' }),
  testReturnError: req => ({ '@type': 'error', code: int(req.error?.code), message: str(req.error?.message) }),
}

/** Whether TDLib allows `execute` for this method. */
export function isSyncMethod (type: string): boolean {
  return Object.hasOwn(SYNC, type)
}

/** TDLib's execute: the synchronous methods, an error object for the rest. */
export function executeSync (request: TdObject): TdObject {
  const type = typeOf(request)
  if (!isSyncMethod(type)) return tdError(400, 'The method can\'t be executed synchronously')
  try {
    return (SYNC[type as keyof typeof SYNC] as (req: unknown) => TdObject)(request)
  } catch (err) {
    if (err instanceof TdFailure) return err.toTd()
    throw err
  }
}

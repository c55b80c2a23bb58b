/**
 * The requests the broker sends to every TDLib client it starts. Only api_id,
 * api_hash, the database key (session/database-key.ts) and the proxy come
 * from settings; the rest are fixed choices, documented in docs/protocol.md
 * ("Sessions").
 */
import os from 'node:os'
import type { TdObject } from '../tdlib/backend.js'
import type { ProxySettings, Settings } from '../settings/types.js'
import { VERSION } from '../version.js'

/**
 * setTdlibParameters for a session folder, or undefined when the real TDLib
 * has no api_id/api_hash to log in with (the client then stays in
 * authorizationStateWaitTdlibParameters; test methods still answer).
 */
export function tdlibParameters (settings: Settings, backendKind: 'tdlib' | 'sandbox', directory: string, databaseKey = ''): TdObject | undefined {
  const { api_id: apiId, api_hash: apiHash } = settings.tdlib
  const haveCredentials = apiId !== undefined && apiHash !== undefined
  if (!haveCredentials && backendKind === 'tdlib') return undefined
  return {
    '@type': 'setTdlibParameters',
    use_test_dc: false,
    database_directory: directory,
    files_directory: directory,
    database_encryption_key: databaseKey,
    use_file_database: true,
    use_chat_info_database: true,
    use_message_database: true,
    use_secret_chats: false,
    api_id: apiId ?? 1,
    api_hash: apiHash ?? 'sandbox',
    system_language_code: 'en',
    device_model: 'tdbroker',
    system_version: `${os.type()} ${os.release()}`,
    application_version: VERSION
  }
}

/** addProxy (enabled) for the proxy of settings. */
export function addProxyRequest (proxy: ProxySettings): TdObject {
  let type: TdObject
  switch (proxy.type) {
    case 'socks5':
      type = { '@type': 'proxyTypeSocks5', username: proxy.username ?? '', password: proxy.password ?? '' }
      break
    case 'http':
      type = { '@type': 'proxyTypeHttp', username: proxy.username ?? '', password: proxy.password ?? '', http_only: proxy.http_only }
      break
    case 'mtproto':
      type = { '@type': 'proxyTypeMtproto', secret: proxy.secret }
      break
  }
  return { '@type': 'addProxy', proxy: { '@type': 'proxy', server: proxy.host, port: proxy.port, type }, enable: true }
}

/** Picks the backend that settings ask for: real TDLib or the sandbox. */
import type { Logger } from '../log/logger.js'
import type { Settings } from '../settings/types.js'
import type { TdBackend } from './backend.js'
import { createTdlBackend } from './tdl-backend.js'

const TDLIB_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug'] as const

export async function createBackend (settings: Settings, log: Logger): Promise<TdBackend> {
  if (settings.tdlib.backend === 'sandbox') {
    const { createSandboxBackend } = await import('./sandbox/index.js')
    return createSandboxBackend(settings.tdlib.sandbox_world !== undefined ? { world: settings.tdlib.sandbox_world } : {})
  }
  const tdlibLog = log.child({ component: 'tdlib' })
  const proxy = settings.tdlib.proxy
  return createTdlBackend({
    verbosity: settings.tdlib.debug_level,
    // TDLib prints these wherever it logs a request; they are cut out of its lines (and the lines redacted further there).
    secrets: [settings.tdlib.api_hash, proxy?.type === 'mtproto' ? proxy.secret : proxy?.password],
    onLog: (level, message) => { tdlibLog[TDLIB_LOG_LEVELS[Math.min(level, 4)] ?? 'debug'](message.trimEnd()) }
  })
}

/**
 * The sandbox: an emulated Telegram behind the TDLib backend interface, for
 * tests, benchmarks and demos. See docs/sandbox.md.
 */
export { createSandboxBackend, type SandboxBackend, type SandboxBackendOptions } from './sandbox-backend.js'
export type { SandboxWorldApi } from './world.js'
export type { FaultTarget, SandboxFaults } from './faults.js'
export {
  DEFAULT_EMAIL_CODE, DEFAULT_LOGIN_CODE, SERVICE_USER_ID, SandboxSeedError, defaultWorldPath, loadSeedFile, validateSeed,
  type SandboxWorldSeed, type SeedBasicGroup, type SeedBot, type SeedSupergroup, type SeedUser,
} from './seed.js'
export { MARKER_FILE } from './persist.js'
export { SANDBOX_OPTION, TDLIB_VERSION } from './misc.js'

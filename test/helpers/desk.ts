/**
 * The scene of the chat-scope tests on the sandbox, through real sockets: a
 * broker with a full "backend" client and a "desk" client that may use only
 * Alice's chat in any session (no sessions of its own), both connected.
 */
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import type { TestClient } from './client.js'
import { connectAs, keyClient, startBroker, testKey } from './clients.js'
import { loginSeeded } from './sandbox-login.js'

export const ALICE = 1000001

export interface DeskScene {
  broker: Awaited<ReturnType<typeof startBroker>>
  backend: TestClient
  desk: TestClient
  sandbox: SandboxBackend
  /** A new session of the backend's, logged in as the sandbox's seeded user with this phone (and 2FA password). */
  login: (phone: string, password?: string) => Promise<string>
}

export interface DeskOptions {
  /** What the desk may request (its scope's allowed_requests); the broker allows them too. */
  desk: string[]
  /** What the broker allows besides the login requests and the desk's. */
  requests?: string[]
  allowed_updates?: string[]
  /** More settings (format_fields…). */
  settings?: Record<string, unknown>
}

export async function deskScene (t: { teardown: (f: () => unknown) => void }, o: DeskOptions): Promise<DeskScene> {
  const [backendKey, deskKey] = [await testKey(), await testKey()]
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    ...o.settings,
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', ...(o.requests ?? []), ...o.desk],
    ...(o.allowed_updates === undefined ? {} : { allowed_updates: o.allowed_updates }),
    clients: [
      keyClient('backend', backendKey),
      keyClient('desk', deskKey, { allowed_requests: o.desk, sessions: 'all', may_create_sessions: false, chats: [ALICE] })
    ]
  })
  t.teardown(b.stop)
  const backend = await connectAs(b.port, 'backend', backendKey)
  const desk = await connectAs(b.port, 'desk', deskKey)
  t.teardown(() => { backend.close(); desk.close() })
  const sandbox = b.backend as SandboxBackend
  const login = async (phone: string, password?: string): Promise<string> => {
    const session = await backend.createSession()
    await loginSeeded(backend, session, sandbox.world, phone, password)
    return session
  }
  return { broker: b, backend, desk, sandbox, login }
}

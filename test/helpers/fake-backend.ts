/**
 * A TdBackend test double that produces updates on demand, for tests that
 * need exact control over the update stream (resume, chat filtering). It
 * logs in at once: setTdlibParameters brings it to authorizationStateReady.
 * Test methods answer like TDLib's (testSquareInt, testCallString),
 * getChats lists chats 10, 11 and 12, searchPublicChat finds chat 12; any
 * other request answers `ok`.
 */
import type { TdBackend, TdClient, TdClientEvents, TdClientOptions, TdObject } from '../../src/tdlib/backend.js'

export class FakeClient implements TdClient {
  closed = false
  readonly requests: TdObject[] = []

  constructor (readonly options: TdClientOptions, private readonly events: TdClientEvents) {
    queueMicrotask(() => { this.emit(authState('authorizationStateWaitTdlibParameters')) })
  }

  /** Sends an update to the broker, as TDLib would. */
  emit (update: TdObject): void {
    if (!this.closed) this.events.onUpdate(update)
  }

  async invoke (request: TdObject): Promise<TdObject> {
    if (this.closed) throw new Error('client is closed')
    this.requests.push(request)
    switch (request['@type']) {
      case 'setTdlibParameters':
        queueMicrotask(() => {
          this.emit(authState('authorizationStateReady'))
          this.emit({ '@type': 'updateConnectionState', state: { '@type': 'connectionStateReady' } })
        })
        return { '@type': 'ok' }
      case 'getAuthorizationState':
        return { '@type': this.requests.some(r => r['@type'] === 'setTdlibParameters') ? 'authorizationStateReady' : 'authorizationStateWaitTdlibParameters' }
      case 'testSquareInt':
        return { '@type': 'testInt', value: Number(request.x) ** 2 }
      case 'testCallString':
        return { '@type': 'testString', value: request.x }
      case 'getChats':
        return { '@type': 'chats', total_count: 3, chat_ids: [10, 11, 12] }
      case 'searchPublicChat':
        return { '@type': 'chat', id: 12, title: 'found by name' }
      default:
        return { '@type': 'ok' }
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.emit(authState('authorizationStateClosed'))
    this.closed = true
    this.events.onClosed()
  }
}

export class FakeBackend implements TdBackend {
  readonly kind = 'tdlib' as const
  readonly tdlibVersion = '1.8.65'
  /** The latest client of each session id. */
  readonly clients = new Map<string, FakeClient>()

  createClient (options: TdClientOptions, events: TdClientEvents): TdClient {
    const client = new FakeClient(options, events)
    this.clients.set(options.sessionId, client)
    return client
  }

  /** The running client of a session; throws when there is none. */
  client (sessionId: string): FakeClient {
    const client = this.clients.get(sessionId)
    if (client === undefined || client.closed) throw new Error(`no running fake client for session ${sessionId}`)
    return client
  }

  execute (): TdObject { return { '@type': 'error', code: 400, message: 'not supported by the fake backend' } }
  async shutdown (): Promise<void> {}
}

function authState (state: string): TdObject {
  return { '@type': 'updateAuthorizationState', authorization_state: { '@type': state } }
}

/** An update that counts: updateOption "n" with the given integer value. */
export function counted (n: number): TdObject {
  return { '@type': 'updateOption', name: 'n', value: { '@type': 'optionValueInteger', value: String(n) } }
}

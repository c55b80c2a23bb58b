/** Resolution tests run on the sandbox: a broker on it, logins, and a record of what TDLib was asked. */
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import type { Step } from '../../src/server/pipeline.js'
import { settingsFromObject } from '../../src/settings/load.js'
import type { Settings } from '../../src/settings/types.js'
import type { BrokerStoreOptions } from '../../src/store/storage.js'
import { isTdError, withClients, type TdBackend, type TdObject } from '../../src/tdlib/backend.js'
import { createSandboxBackend, type SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { LogSink } from '../helpers/log-sink.js'
import { siptgFixture } from '../settings/fixtures/helpers.js'

export interface Call { session: string, type: string, request: TdObject, error?: string }

/** A backend that records every request sessions send it, with TDLib's error if it answered one. */
export function recordingBackend (inner: TdBackend): TdBackend & { calls: Call[] } {
  const calls: Call[] = []
  const recording = withClients(inner, (options, events) => {
    const client = inner.createClient(options, events)
    return {
      async invoke (request) {
        const answer = await client.invoke(request)
        calls.push({ session: options.sessionId, type: request['@type'], request, ...(isTdError(answer) ? { error: `${answer.code} ${answer.message}` } : {}) })
        return answer
      },
      close: async () => { await client.close() },
    }
  })
  return { ...recording, calls }
}

/** The siptg fixture's settings on the sandbox, without its log file. */
export function siptgOnSandbox (over: Record<string, unknown> = {}): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(siptgFixture, 'utf8')) as Record<string, unknown>
  delete raw.logfile
  return { ...raw, host: '127.0.0.1', port: 0, terminate_delay: 0, tdlib: { api_id: 94575, api_hash: 'API_HASH', path: 'sessions', backend: 'sandbox' }, ...over }
}

export interface SandboxBroker {
  broker: Broker
  port: number
  logs: LogSink
  settings: Settings
  backend: TdBackend & { calls: Call[] }
  /** The emulated Telegram (add users, look at its state). */
  world: SandboxBackend['world']
  /** Requests as they leave the pipeline for TDLib (after resolution and formatting). */
  seen: TdObject[]
  stop(): Promise<void>
}

/** A broker on a fresh sandbox (a new emulated Telegram, as after a process restart) in `dir`. */
export async function startSandboxBroker (dir: string, raw: Record<string, unknown>, opts: { botTimeoutMs?: number, store?: BrokerStoreOptions } = {}): Promise<SandboxBroker> {
  const settings = settingsFromObject(raw, dir)
  const sandbox = createSandboxBackend(opts.botTimeoutMs === undefined ? {} : { botTimeoutMs: opts.botTimeoutMs })
  const backend = recordingBackend(sandbox)
  const logs = new LogSink()
  const seen: TdObject[] = []
  const capture: Step = async (ctx, next) => { seen.push(ctx.request); return await next() }
  const broker = new Broker({ settings, backend, logger: pino({ level: 'trace' }, logs), store: { mirror: { retryMs: [100, 500] }, ...opts.store } }, [capture])
  await broker.start()
  return { broker, port: broker.addresses.tcp!.port, logs, settings, backend, world: sandbox.world, seen, stop: async () => { await broker.stop('test over') } }
}

export const authState = (session: string, state: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === state

/** Creates a session and logs it in as the user with this phone number (login code 12345, or `code`). */
export async function loginUser (client: TestClient, phone: string, code = '12345'): Promise<string> {
  const session = await client.createSession()
  await client.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'))
  await expectOk(client.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: phone, '@session': session }))
  await expectOk(client.request({ '@type': 'checkAuthenticationCode', code, '@session': session }))
  await client.waitFor(authState(session, 'authorizationStateReady'))
  return session
}

export async function loginBot (client: TestClient, token: string): Promise<string> {
  const session = await client.createSession()
  await client.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'))
  await expectOk(client.request({ '@type': 'checkAuthenticationBotToken', token, '@session': session }))
  await client.waitFor(authState(session, 'authorizationStateReady'))
  return session
}

async function expectOk (answer: Promise<Msg>): Promise<void> {
  const a = await answer
  if (a['@type'] !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(a)}`)
}

export const ALICE = { id: 1000001, phone: '+15550001001' }
export const BOB = { id: 1000002, phone: '+15550001002', username: 'bob_baker' }
export const CAROL = { id: 1000003, phone: '+15550001003' }
export const DAVE = { id: 1000004, phone: '+15550001004', username: 'dave_d', code: '22222' }
export const INLINE_BOT = { id: 7000002, username: 'inline_sandbox_bot', token: '7000002:sandbox-inline-bot-token' }
export const LOUNGE = { chat_id: -1000000001001, username: 'sandbox_lounge' }

/**
 * The baseline: TDLib through tdl in this process, the way a service would
 * use it without the broker (bare client, prebuilt-tdlib's libtdjson, the same
 * tdl configuration the broker's backend uses).
 */
import * as tdl from 'tdl'
import { getTdjson } from 'prebuilt-tdlib'
import { join } from 'node:path'
import { settingsFromObject } from '../../src/settings/load.js'
import { tdlibParameters } from '../../src/session/tdlib-parameters.js'
import { toTdl } from '../../src/tdlib/rename.js'
import { NETWORK_NONE } from './ipc.js'

let configured = false

function configure (): void {
  if (configured) return
  tdl.configure({ tdjson: getTdjson(), verbosityLevel: 0 })
  configured = true
}

export type TdlClient = ReturnType<typeof tdl.createBareClient>
export type TdlRequest = Parameters<TdlClient['invoke']>[0]

/** The TDLib version, as the broker reports it. */
export function tdlibVersion (): string {
  configure()
  const answer = tdl.execute({ _: 'getOption', name: 'version' }) as { value?: unknown } | null
  return typeof answer?.value === 'string' ? answer.value : 'unknown'
}

/** A bare tdl client, as the broker's backend creates them. */
export function bareClient (): TdlClient {
  configure()
  const client = tdl.createBareClient()
  client.on('error', () => {})
  return client
}

/** A bare tdl client, once TDLib has sent its first update (it is then ready for test requests). */
export async function directClient (): Promise<TdlClient> {
  const client = bareClient()
  await new Promise<void>(resolve => {
    client.once('update', () => { resolve() })
  })
  return client
}

/** Closes a direct client, ignoring a client that is already gone. */
export async function closeDirect (client: TdlClient): Promise<void> {
  await client.close().catch(() => {})
}

/** The api_id/api_hash every benchmark session starts with (TDLib's network is off: they never reach Telegram). */
export const BENCH_CREDENTIALS = { api_id: 94575, api_hash: 'tdbroker-benchmark' } as const

/** The state every benchmark session (broker, minimal proxy, direct) is in when it is measured. */
export const MEASURED_STATE = 'authorizationStateWaitPhoneNumber'

/**
 * A direct tdl client in the state the broker's sessions are in: network off
 * (NETWORK_NONE), the same setTdlibParameters the broker sends
 * (src/session/tdlib-parameters.ts) with a database in `directory`, and
 * resolved once TDLib waits for a phone number. A client without parameters
 * answers test requests too, but does less work per request than a session.
 */
export async function directSession (directory: string): Promise<TdlClient> {
  const settings = settingsFromObject({ tdlib: BENCH_CREDENTIALS }, directory)
  const params = tdlibParameters(settings, 'tdlib', join(directory, 'session'))
  if (params === undefined) throw new Error('no TDLib parameters for the direct session')
  const client = bareClient()
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`the direct session did not reach ${MEASURED_STATE} in 60 s`)) }, 60_000)
    client.on('update', (u: { _: string, authorization_state?: { _: string } }) => {
      if (u._ === 'updateAuthorizationState' && u.authorization_state?._ === MEASURED_STATE) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  void client.invoke(toTdl(NETWORK_NONE) as TdlRequest).catch(() => {})
  await client.invoke(toTdl(params) as TdlRequest)
  await ready
  const state = await client.invoke({ _: 'getAuthorizationState' }) as { _: string }
  if (state._ !== MEASURED_STATE) throw new Error(`the direct session is in ${state._}, not ${MEASURED_STATE}`)
  return client
}

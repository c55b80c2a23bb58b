/**
 * The baseline: TDLib through tdl in this process, the way a service would
 * use it without the broker (bare client, prebuilt-tdlib's libtdjson, the same
 * tdl configuration the broker's backend uses).
 */
import * as tdl from 'tdl'
import { getTdjson } from 'prebuilt-tdlib'

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

/**
 * /healthz and /readyz: whether the broker is alive, and whether it can do
 * its work now (listening, store writable, MySQL reachable when configured,
 * no session stuck starting). Each check says why in the JSON body.
 */
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ReadinessSource {
  readonly state: string
  /** The folder the store writes to (tdlib.path). */
  readonly storeDir: string
  mysql(): { state: string } | undefined
  /** Sessions with when their start began, for those starting. */
  starting(): Array<{ id: string, since: number }>
  readonly startingLimitSeconds: number
  now(): number
}

export interface Check { ok: boolean, detail: string }
export interface Readiness { ready: boolean, checks: Record<string, Check> }

/** Runs every readiness check; none throws. */
export async function readiness (source: ReadinessSource): Promise<Readiness> {
  const checks: Record<string, Check> = {}
  checks.listening = source.state === 'running'
    ? { ok: true, detail: 'the broker is running and accepting connections' }
    : { ok: false, detail: `the broker is ${source.state}` }
  checks.store = await storeWritable(source.storeDir)
  const mysql = source.mysql()
  if (mysql !== undefined) {
    checks.mysql = mysql.state === 'up'
      ? { ok: true, detail: 'the MySQL mirror is connected' }
      : { ok: false, detail: `the MySQL mirror is ${mysql.state}: writes are queued locally until it is reachable` }
  }
  const limit = source.startingLimitSeconds * 1000
  const stuck = source.starting().filter(s => source.now() - s.since > limit).map(s => s.id)
  checks.sessions = stuck.length === 0
    ? { ok: true, detail: 'no session stuck starting' }
    : { ok: false, detail: `${stuck.length} session(s) starting for over ${source.startingLimitSeconds} s (admin.starting_limit): ${stuck.slice(0, 10).join(', ')}` }
  return { ready: Object.values(checks).every(c => c.ok), checks }
}

/** Writes and removes a probe file: the real test of "writable" (permissions, a full or read-only disk). */
async function storeWritable (dir: string): Promise<Check> {
  const probe = join(dir, `.readyz-${process.pid}`)
  try {
    await writeFile(probe, 'probe\n')
    await rm(probe, { force: true })
    return { ok: true, detail: `${dir} is writable` }
  } catch (e) {
    return { ok: false, detail: `cannot write to ${dir}: ${(e as Error).message}` }
  }
}

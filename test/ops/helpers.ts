/** Shared by the operations tests: scraping the admin listener and waiting on what it shows. */
import type { Broker } from '../../src/broker.js'
import type { Step } from '../../src/server/pipeline.js'
import { parsePrometheusText, sampleValue, type Family } from './prom-text.js'

/** GETs a path of the broker's admin listener. */
export async function adminGet (broker: Broker, path: string, token?: string): Promise<{ status: number, type: string, body: string }> {
  const a = broker.addresses.admin
  if (a === undefined) throw new Error('the broker has no admin listener')
  const res = await fetch(`http://127.0.0.1:${a.port}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** Scrapes /metrics and parses it strictly. */
export async function scrape (broker: Broker, token?: string): Promise<Map<string, Family>> {
  const r = await adminGet(broker, '/metrics', token)
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`)
  return parsePrometheusText(r.body)
}

/** One sample's value in a fresh scrape (0 when the series is absent). */
export async function metric (broker: Broker, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(await scrape(broker), name, labels) ?? 0
}

/** Polls `cond` (scrapes are cheap) until true, at most `timeoutMs`. */
export async function until (cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** A last pipeline step that counts what reaches TDLib, by request type. */
export function tdlibCounter (): { step: Step, seen: Map<string, number> } {
  const seen = new Map<string, number>()
  return {
    seen,
    step: async (ctx, next) => {
      const type = ctx.request['@type'] as string
      seen.set(type, (seen.get(type) ?? 0) + 1)
      return await next()
    }
  }
}

/**
 * The broker's own JavaScript per request, without TDLib or sockets: a
 * Broker in this process on a backend that answers testSquareInt at once,
 * one connection on a transport that only counts lines, 100 requests in
 * flight. Prints main-thread CPU µs per request (process.cpuUsage: this
 * process has no other busy thread), per round, for each build given:
 *
 *   node dist/bench/tools/js-cost.js [--rounds=N] [--admin] ROOT...
 *
 * ROOT is a compiled checkout (dist/src/broker.js under it); the builds take
 * turns within every round. --admin runs every build twice, without and with
 * an admin section (metrics off and on), scraped once as Prometheus would.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

type Obj = Record<string, unknown> & { '@type': string }
interface Events { onUpdate(u: Obj): void, onClosed(reason?: Error): void }

function fakeBackend (): unknown {
  return {
    kind: 'tdlib',
    tdlibVersion: '1.8.65',
    execute: () => ({ '@type': 'error', code: 400, message: 'not here' }),
    shutdown: async () => {},
    createClient (_o: unknown, events: Events) {
      queueMicrotask(() => { events.onUpdate({ '@type': 'updateAuthorizationState', authorization_state: { '@type': 'authorizationStateWaitTdlibParameters' } }) })
      return {
        invoke: async (r: Obj) => r['@type'] === 'testSquareInt' ? { '@type': 'testInt', value: Number(r.x) ** 2 } : { '@type': 'ok' },
        close: async () => { events.onClosed() }
      }
    }
  }
}

interface Side { root: string, label: string, receive: (line: string) => void, lines: () => number, session: string, stop: () => Promise<void> }

async function start (root: string, admin: boolean): Promise<Side> {
  const { Broker } = await import(pathToFileURL(join(root, 'dist/src/broker.js')).href)
  const { settingsFromObject } = await import(pathToFileURL(join(root, 'dist/src/settings/load.js')).href)
  const { pino } = await import('pino')
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-jscost-'))
  const settings = settingsFromObject({ host: '127.0.0.1', port: 0, allowed_requests: ['testSquareInt'], tdlib: { path: 'sessions' }, ...(admin ? { admin: { host: '127.0.0.1', port: 0 } } : {}) }, dir)
  const broker = new Broker({ settings, backend: fakeBackend(), logger: pino({ level: 'info' }, { write: () => {} }) })
  await broker.start()
  // Node's default metrics start with the first scrape.
  if (admin) await broker.metrics.text()
  let count = 0
  let last = ''
  const waiters: Array<() => void> = []
  const transport = {
    kind: 'tcp', remote: '127.0.0.1:1',
    send: (line: string) => { count++; last = line; if (process.env.JSCOST_DEBUG !== undefined && count < 5) process.stderr.write(line + "\n"); waiters.shift()?.() },
    bufferedBytes: () => 0, pauseReading: () => {}, resumeReading: () => {}, end: () => {}, destroy: () => {}
  }
  let conn: { receive(line: string): void } | undefined
  broker.accept(transport, (c: { receive(line: string): void }) => { conn = c })
  const next = async (): Promise<void> => { await new Promise<void>(resolve => { waiters.push(resolve) }) }
  conn!.receive('{"@type":"broker.createSession","@extra":0}')
  while (!last.includes('"broker.session"')) await next()
  const session = (JSON.parse(last) as { session: string }).session
  return {
    root, label: admin ? `${root} (metrics on)` : root, session, receive: line => { conn!.receive(line) }, lines: () => count,
    stop: async () => { await broker.stop('done'); rmSync(dir, { recursive: true, force: true }) }
  }
}

/** Runs `total` requests with 100 in flight (one more sent per answer line); µs CPU per request. */
async function round (side: Side, total: number): Promise<number> {
  const prefix = `{"@type":"testSquareInt","x":3,"@session":"${side.session}","@extra":`
  const startLines = side.lines()
  let sent = 0
  const cpu0 = process.cpuUsage()
  for (; sent < 100; sent++) side.receive(prefix + String(sent) + '}')
  while (side.lines() - startLines < total) {
    await new Promise(resolve => setImmediate(resolve))
    const answered = side.lines() - startLines
    while (sent < answered + 100 && sent < total) { side.receive(prefix + String(sent) + '}'); sent++ }
  }
  const cpu = process.cpuUsage(cpu0)
  return (cpu.user + cpu.system) / total
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const rounds = Number(args.find(a => a.startsWith('--rounds='))?.slice(9) ?? 5)
  const roots = args.filter(a => !a.startsWith('--'))
  const modes = args.includes('--admin') ? [false, true] : [false]
  const sides: Side[] = []
  for (const root of roots) for (const admin of modes) sides.push(await start(root, admin))
  const results = new Map<string, number[]>(sides.map(s => [s.label, []]))
  for (const side of sides) await round(side, 20_000)
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < sides.length; j++) {
      const side = sides[(i + j) % sides.length]!
      results.get(side.label)!.push(await round(side, 50_000))
    }
  }
  for (const [label, values] of results) {
    const sorted = [...values].sort((a, b) => a - b)
    process.stdout.write(`${label}: median ${sorted[sorted.length >> 1]!.toFixed(2)} µs CPU/request [${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)}] over ${rounds} rounds of 50,000\n`)
  }
  for (const side of sides) await side.stop()
}

main().then(() => process.exit(0), (e: unknown) => { process.stderr.write(`js-cost failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`); process.exit(1) })

/**
 * The seed's load: `customers` concurrent conversations over the four
 * departments (two staff members each) on the sandbox, the desk in a process
 * of its own (spawned from dist/main.js, so that its RSS is the desk's alone).
 * Every customer picks a department, sends `messages` messages; every staff
 * member answers each one by replying. Measured: customer → staff latency
 * (send to arrival in the staff member's account), the desk's RSS (sampled,
 * and its peak, VmHWM), and whether every message and answer arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { login, type Update } from '@tdbroker/client'
import { DEPARTMENTS } from '../src/departments.js'
import { BOT_ID, BOT_TOKEN, startWorld, textOf, type Phone, type StaffAccount } from '../test/world.js'

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))

export interface LoadOptions { customers: number, messages: number, staffPerDepartment: number, timeoutMs: number }
export interface LoadFigures {
  customers: number
  sent: number
  atStaff: number
  answered: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  rssMiB: number
  peakRssMiB: number
  seconds: number
  loadBefore: number
  loadAfter: number
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] ?? NaN
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memory (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

async function waitForLine (child: ChildProcess, part: string, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { reject(new Error(`the desk did not print "${part}" within ${timeoutMs} ms: ${out.slice(-500)}`)) }, timeoutMs)
    const onData = (d: Buffer): void => { out += d.toString(); if (out.includes(part)) { clearTimeout(timer); resolve() } }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`the desk exited (${String(code)}): ${out.slice(-500)}`)) })
  })
}

export async function runLoad (o: LoadOptions, log: (line: string) => void = () => {}): Promise<LoadFigures> {
  const loadBefore = loadavg()[0] ?? 0
  const w = await startWorld()
  let child: ChildProcess | undefined
  try {
    const staff: StaffAccount[] = []
    for (const [d, dep] of DEPARTMENTS.entries()) {
      for (let k = 0; k < o.staffPerDepartment; k++) staff.push(await w.staff(3200001 + d * 100 + k, `Staff ${dep.id} ${k + 1}`, dep.id))
    }
    const customers: Phone[] = []
    for (let i = 0; i < o.customers; i += 10) {
      customers.push(...await Promise.all(Array.from({ length: Math.min(10, o.customers - i) }, async (_, k) => await w.account(3300001 + i + k, `Cust${i + k}`))))
    }
    const bot = await w.client.createSession()
    await login(bot, { type: 'bot', getToken: () => BOT_TOKEN })
    await bot.detach()
    const configFile = join(w.dir, 'desk.json')
    writeFileSync(configFile, JSON.stringify({
      broker: { url: w.url }, bot: { session: bot.id }, database: 'desk.sqlite',
      staff: staff.map(s => ({ session: s.deskSession, department: s.department }))
    }))
    log(`world ready: ${staff.length} staff members, ${customers.length} customers; starting the desk process`)
    child = spawn(process.execPath, ['--max-semi-space-size=2', MAIN, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
    const pid = child.pid ?? 0
    await waitForLine(child, 'support desk running', 30_000)

    // Staff: every relayed customer message is answered by replying to it.
    const sentAt = new Map<string, number>()
    const latencies: number[] = []
    const answeredBy = new Set<string>()
    for (const s of staff) {
      s.phone.session.on('update', (u: Update) => {
        if (u['@type'] !== 'updateNewMessage' || u.message.chat_id !== BOT_ID || u.message.is_outgoing) return
        const key = /: (c\d+-m\d+)$/.exec(textOf(u.message))?.[1]
        if (key === undefined || answeredBy.has(key)) return
        answeredBy.add(key)
        const t0 = sentAt.get(key)
        if (t0 !== undefined) latencies.push(performance.now() - t0)
        s.phone.say(`re ${key}`, u.message.id).catch(e => { log(`answer to ${key} failed: ${String(e)}`) })
      })
    }
    let rss = 0
    const sampler = setInterval(() => { try { rss = Math.max(rss, memory(pid).rss) } catch {} }, 200)
    const started = performance.now()
    const deadline = Date.now() + o.timeoutMs
    const left = (): number => Math.max(1, deadline - Date.now())
    try {
      await Promise.all(customers.map(async (c, i) => {
        const dep = DEPARTMENTS[i % DEPARTMENTS.length]?.id ?? 'support'
        await c.say(`/${dep}`)
        await c.waitFor('You are now with', left())
        for (let j = 0; j < o.messages; j++) {
          await new Promise(resolve => setTimeout(resolve, 50 + Math.random() * 250))
          const key = `c${i}-m${j}`
          sentAt.set(key, performance.now())
          await c.say(key)
        }
        await c.until(() => Array.from({ length: o.messages }, (_, j) => `re c${i}-m${j}`).every(x => c.texts().includes(x)) ? true : undefined, left(), 'every answer')
      }))
    } finally {
      clearInterval(sampler)
    }
    const seconds = (performance.now() - started) / 1000
    const mem = memory(pid)
    const sorted = [...latencies].sort((a, b) => a - b)
    const answered = customers.reduce((n, c) => n + c.texts().filter(x => x.startsWith('re c')).length, 0)
    return {
      customers: customers.length, sent: sentAt.size, atStaff: answeredBy.size, answered,
      p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? NaN,
      rssMiB: Math.max(rss, mem.rss), peakRssMiB: mem.peak, seconds, loadBefore, loadAfter: loadavg()[0] ?? 0
    }
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise<void>(resolve => { child?.once('exit', () => { resolve() }) })
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    await w.stop()
  }
}

export function describe (f: LoadFigures): string {
  return [
    `${f.customers} concurrent conversations over 4 departments: ${f.sent} customer messages, ${f.atStaff} reached staff, ${f.answered} answers reached customers, in ${f.seconds.toFixed(1)} s`,
    `customer -> staff latency: p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms, max ${f.maxMs.toFixed(1)} ms (target p99 < 2000 ms)`,
    `desk process RSS: ${f.rssMiB.toFixed(1)} MiB sampled max, ${f.peakRssMiB.toFixed(1)} MiB peak (VmHWM) (target < 100 MB)`,
    `1-minute load average: ${f.loadBefore.toFixed(2)} before, ${f.loadAfter.toFixed(2)} after`
  ].join('\n')
}

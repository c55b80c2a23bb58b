/** The parent side of a benchmark child process: fork, send commands, kill on cleanup. */
import { fork, type ChildProcess } from 'node:child_process'
import type { ReplyMessage } from './ipc.js'

const live = new Set<Child>()

export interface ForkOptions {
  /** Extra node flags (for example --cpu-prof when BENCH_PROFILE is set). */
  execArgv?: string[]
  env?: NodeJS.ProcessEnv
  /** What a child command may take before the benchmark gives up on it. Default 10 minutes. */
  timeoutMs?: number
}

export class Child {
  private readonly proc: ChildProcess
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private readonly exited: Promise<number | null>
  private readonly noticeHandlers = new Map<string, (args: any) => void>()

  constructor (readonly name: string, script: URL, options: ForkOptions = {}) {
    this.proc = fork(script, [], {
      execArgv: ['--expose-gc', ...(options.execArgv ?? [])],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json'
    })
    live.add(this)
    this.exited = new Promise(resolve => {
      this.proc.on('exit', code => {
        live.delete(this)
        for (const w of this.waiting.values()) w.reject(new Error(`${name} exited (code ${String(code)}) before answering`))
        this.waiting.clear()
        resolve(code)
      })
    })
    this.proc.on('message', (raw: unknown) => {
      const m = raw as ReplyMessage & { notice?: string, args?: unknown }
      if (typeof m.notice === 'string') {
        this.noticeHandlers.get(m.notice)?.(m.args)
        return
      }
      const w = this.waiting.get(m.id)
      if (w === undefined) return
      this.waiting.delete(m.id)
      if (m.ok) w.resolve(m.result)
      else w.reject(new Error(`${name}: ${m.error}`))
    })
  }

  get pid (): number { return this.proc.pid ?? -1 }

  async call<T> (cmd: string, args: unknown = null): Promise<T> {
    const id = this.nextId++
    return await new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.proc.send({ id, cmd, args })
    })
  }

  notify (notice: string, args: unknown): void {
    if (this.proc.connected) this.proc.send({ notice, args })
  }

  /** Microseconds of CPU (user + system, every thread) the child has used so far. */
  async cpuMicros (): Promise<number> {
    const used = await this.call<{ user: number, system: number }>('cpu')
    return used.user + used.system
  }

  onNotice (notice: string, handler: (args: any) => void): void { this.noticeHandlers.set(notice, handler) }

  /** Asks the child to stop (it closes what it holds), then kills it if it takes longer than graceMs. */
  async stop (graceMs = 30_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    if (this.proc.connected) this.proc.disconnect()
    const timer = setTimeout(() => { this.proc.kill('SIGKILL') }, graceMs)
    await this.exited
    clearTimeout(timer)
  }

  kill (): void { this.proc.kill('SIGKILL') }
}

/** Kills every child still running (on error or interrupt). */
export function killAllChildren (): void {
  for (const c of live) c.kill()
}

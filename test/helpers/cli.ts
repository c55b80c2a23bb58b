/** The compiled `tdbroker` command as tests run it: started in a folder, waited for, stopped, bounded in time. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = join(ROOT, 'dist/src/cli/main.js')

export interface RunningCli {
  child: ChildProcess
  /** Standard output and error so far. */
  output: () => string
  exited: Promise<number | null>
  /** The port of the first "listening on HOST:PORT" line it printed (0 if none). */
  port: number
}

/** Starts `node dist/src/cli/main.js ARGS` in `cwd` and resolves once its output matches `ready` (20 s at most). */
export async function startCli (cwd: string, args: string[], ready: RegExp = /listening on /): Promise<RunningCli> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`broker did not start: ${out}`)) }, 20_000)
    child.stdout?.on('data', () => { if (ready.test(out)) { clearTimeout(timer); resolve() } })
    void exited.then(code => { clearTimeout(timer); reject(new Error(`broker exited with ${String(code)}: ${out}`)) })
  })
  return { child, output: () => out, exited, port: Number(/listening on \S+:(\d+)/.exec(out)?.[1] ?? 0) }
}

/** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
export async function stopCli (r: RunningCli): Promise<number | null> {
  r.child.kill('SIGTERM')
  const timer = setTimeout(() => { r.child.kill('SIGKILL') }, 10_000)
  const code = await r.exited
  clearTimeout(timer)
  return code
}

/** Runs a command to its end (killed after `timeoutMs`); resolves with its standard output. */
export async function runCommand (cmd: string, args: string[], cwd: string, timeoutMs = 30_000): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd} timed out after ${timeoutMs} ms: ${out} ${err}`)) }, timeoutMs)
    child.on('exit', () => { clearTimeout(timer); resolve(out) })
  })
}

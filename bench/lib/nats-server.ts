/**
 * A private nats-server with JetStream on a free port of 127.0.0.1, for the
 * cluster benchmark (bench/parts/cluster.ts) and the cluster tests
 * (test/cluster/helpers.ts), which import it from here (bench cannot import test/).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'

export interface NatsServer {
  readonly port: number
  readonly url: string
  /** Its JetStream store (-sd); the caller made it and removes it. */
  readonly dir: string
  readonly process: ChildProcess
  /** Microseconds of CPU the server has used so far (every thread, from /proc, in clock ticks). */
  cpu(): { user: number, system: number }
  /** Kills it (SIGKILL) and waits for its exit; the store stays. */
  stop(): Promise<void>
  /** Stops it and starts a new one on the same port and store. */
  restart(): Promise<NatsServer>
}

/** Starts `nats-server -js` on `port` (a free one when absent) with its store in `dir`; resolves once it accepts connections. */
export async function startNatsServer (options: { dir: string, port?: number }): Promise<NatsServer> {
  const port = options.port ?? await freePort()
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', options.dir], { stdio: 'ignore' })
  const running = (): boolean => child.exitCode === null && child.signalCode === null
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  // The caller's own exit (an interrupt, a failure) must not leave it running.
  const onExit = (): void => { if (running()) child.kill('SIGKILL') }
  process.once('exit', onExit)
  const stop = async (): Promise<void> => {
    if (running()) child.kill('SIGKILL')
    await exited
    process.removeListener('exit', onExit)
  }
  try {
    await waitForPort(port, 20_000, running)
  } catch (e) {
    await stop()
    throw e
  }
  const server: NatsServer = {
    port,
    url: `nats://127.0.0.1:${port}`,
    dir: options.dir,
    process: child,
    cpu () { return processCpu(child.pid!) },
    stop,
    async restart () {
      await stop()
      return await startNatsServer({ dir: options.dir, port })
    }
  }
  return server
}

let tick: number | undefined

/** Microseconds of CPU a process (any, by pid) has used so far: every thread, from /proc, in clock ticks. */
export function processCpu (pid: number): { user: number, system: number } {
  tick ??= 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  // utime and stime, fields 14 and 15 of /proc/PID/stat, after the command in parentheses.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
  return { user: Number(fields[11]) * tick, system: Number(fields[12]) * tick }
}

/** Whether a backup of the session is in the object store of cluster `prefix`. */
export async function hasBackup (url: string, prefix: string, session: string): Promise<boolean> {
  const { connect } = await import('@nats-io/transport-node')
  const { Objm } = await import('@nats-io/obj')
  const nc = await connect({ servers: url })
  try {
    const os = await new Objm(nc).open(`${prefix}-backups`)
    return (await os.info(session)) !== null
  } finally {
    await nc.close()
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => { resolve(port) })
    })
    server.on('error', reject)
  })
}

async function waitForPort (port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.on('error', () => { resolve(false) })
    })
    if (open) return
    if (!alive()) throw new Error(`nats-server on port ${port} exited before accepting connections (is nats-server installed and the port free?)`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for nats-server on port ${port}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

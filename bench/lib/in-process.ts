/**
 * A broker in this process with a transport that only hands lines over:
 * request lines go straight to Connection.receive and answers come back as
 * strings. No sockets and no other process, so the CPU time of a request is
 * the broker's (and the backend's) alone; the benchmarks use it to price the
 * broker's own code and its optional steps precisely.
 */
import { pino } from 'pino'
import { Broker } from '../../src/broker.js'
import type { Connection } from '../../src/server/connection.js'
import { settingsFromObject } from '../../src/settings/load.js'
import type { TdBackend } from '../../src/tdlib/backend.js'
import { removeFolder, tempFolder } from './temp.js'

export type Msg = Record<string, unknown>

export class InProcessBroker {
  private nextExtra = 1
  private readonly waiting = new Map<number, (line: string) => void>()
  /** Lines that answer no request of ours (updates, notices). */
  onMessage: (m: Msg) => void = () => {}

  private constructor (private readonly broker: Broker, private readonly connection: Connection, private readonly dir: string) {}

  /** `raw` is a settings.json object; host, port and tdlib.path are filled in. */
  static async start (raw: Record<string, unknown>, backend: TdBackend): Promise<InProcessBroker> {
    const dir = tempFolder()
    const tdlib = { path: 'sessions', ...(raw.tdlib as object | undefined) }
    const settings = settingsFromObject({ ...raw, host: '127.0.0.1', port: 0, tdlib }, dir)
    const broker = new Broker({ settings, backend, logger: pino({ level: 'info' }, pino.destination('/dev/null')) })
    await broker.start()
    let self: InProcessBroker | undefined
    let connection: Connection | undefined
    broker.accept({
      kind: 'tcp',
      remote: 'in-process',
      send: (line: string) => { self?.receive(line) },
      bufferedBytes: () => 0,
      pauseReading () {},
      resumeReading () {},
      end () {},
      destroy () {}
    }, c => { connection = c })
    if (connection === undefined) throw new Error('the broker did not accept the in-process connection')
    self = new InProcessBroker(broker, connection, dir)
    return self
  }

  /** Sends a request and resolves with its answer line (unparsed). */
  async send (message: Msg): Promise<string> {
    const extra = this.nextExtra++
    return await new Promise(resolve => {
      this.waiting.set(extra, resolve)
      this.connection.receive(JSON.stringify({ ...message, '@extra': extra }))
    })
  }

  async request (message: Msg): Promise<Msg> {
    return JSON.parse(await this.send(message)) as Msg
  }

  /** CPU microseconds per request over `count` requests, one at a time. */
  async cpuPerRequest (message: Msg, count: number): Promise<number> {
    const start = process.cpuUsage()
    for (let i = 0; i < count; i++) await this.send(message)
    const used = process.cpuUsage(start)
    return (used.user + used.system) / count
  }

  /**
   * CPU microseconds per request with `batch` handed over at once, using
   * lines built once (`prefix` is the JSON text without its closing brace).
   */
  async cpuPerRequestBatched (prefix: string, count: number, batch: number): Promise<number> {
    const start = process.cpuUsage()
    for (let i = 0; i < count;) {
      const answers: Array<Promise<string>> = []
      for (let j = 0; j < batch && i < count; j++, i++) {
        const extra = this.nextExtra++
        answers.push(new Promise(resolve => { this.waiting.set(extra, resolve) }))
        this.connection.receive(`${prefix},"@extra":${extra}}`)
      }
      await Promise.all(answers)
    }
    const used = process.cpuUsage(start)
    return (used.user + used.system) / count
  }

  async stop (): Promise<void> {
    await this.broker.stop('benchmark over')
    removeFolder(this.dir)
  }

  private receive (line: string): void {
    const at = line.lastIndexOf('"@extra":')
    if (at !== -1) {
      const extra = Number.parseInt(line.slice(at + 9), 10)
      const w = this.waiting.get(extra)
      if (w !== undefined) {
        this.waiting.delete(extra)
        w(line)
        return
      }
    }
    this.onMessage(JSON.parse(line) as Msg)
  }
}

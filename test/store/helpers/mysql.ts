/**
 * Real MariaDB for the store tests: the machine's shared server (127.0.0.1:3306,
 * root, empty password), where each test makes and drops its own database,
 * and private servers (own data folder, socket and port) that a test may
 * kill and start again. The shared server is never stopped or reconfigured.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { repoRoot } from '../../settings/fixtures/helpers.js'

export const SHARED = { host: '127.0.0.1', port: 3306, user: 'root', password: '' }

export const schemaSql = (): string => readFileSync(join(repoRoot, 'schema.sql'), 'utf8')

/** Whether the shared server answers; tests skip with this reason when it does not. */
export async function sharedServerMissing (): Promise<string | false> {
  try {
    const c = await mysql.createConnection({ ...SHARED, connectTimeout: 3000 })
    await c.end()
    return false
  } catch (e) {
    return `MariaDB at 127.0.0.1:3306 does not answer (${(e as Error).message})`
  }
}

export interface TempDatabase {
  name: string
  /** The `mysql` section of settings.json for it. */
  settings: { host: string, port: number, user: string, password: string, database: string }
  query<T = Array<Record<string, unknown>>>(sql: string, values?: unknown[]): Promise<T>
  drop(): Promise<void>
}

/** A fresh database on a server (the shared one unless told), with schema.sql applied unless `schema` is false. */
export async function tempDatabase (opts: { schema?: boolean, server?: { host: string, port: number, user: string, password: string } } = {}): Promise<TempDatabase> {
  const server = opts.server ?? SHARED
  const name = `tdbroker_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = await mysql.createConnection({ ...server, multipleStatements: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' })
  // A private server may be killed under this connection; its error then comes with the next query.
  admin.on('error', () => {})
  await admin.query(`CREATE DATABASE \`${name}\``)
  await admin.query(`USE \`${name}\``)
  if (opts.schema !== false) await admin.query(schemaSql())
  let dropped = false
  return {
    name,
    settings: { ...server, database: name },
    async query<T> (sql: string, values?: unknown[]): Promise<T> {
      const [rows] = await admin.query(sql, values)
      return rows as T
    },
    async drop () {
      if (dropped) return
      dropped = true
      await admin.query('UNLOCK TABLES').catch(() => {})
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {})
      await admin.end().catch(() => {})
    },
  }
}

/** One query on a fresh connection (for a server that was restarted under an older connection). */
export async function queryOnce (server: { host: string, port: number, user: string, password: string }, database: string, sql: string, values?: unknown[]): Promise<Array<Record<string, unknown>>> {
  const c = await mysql.createConnection({ ...server, database, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' })
  try {
    const [rows] = await c.query(sql, values)
    return rows as Array<Record<string, unknown>>
  } finally {
    await c.end()
  }
}

/** A free TCP port on loopback (closed again at once, so a server can take it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => { resolve(port) })
    })
  })
}

/** Why a private mariadbd cannot run here, or false when it can. */
export function privateServerMissing (): string | false {
  for (const tool of ['mariadbd', 'mariadb-install-db']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool} || ls /usr/sbin/${tool} 2>/dev/null`], { encoding: 'utf8' })
    if (found.stdout.trim() === '') return `${tool} is not installed`
  }
  return false
}

/**
 * A MariaDB server of our own: its own data folder, socket and port, so it
 * can be killed mid-test and started again on the same data.
 */
export class PrivateMariadb {
  private child: ChildProcess | undefined
  readonly dataDir: string

  private constructor (readonly dir: string, readonly port: number, private readonly extraArgs: string[]) {
    this.dataDir = join(dir, 'data')
  }

  /** Creates the data folder (mariadb-install-db) and starts the server. */
  static async create (dir: string, extraArgs: string[] = []): Promise<PrivateMariadb> {
    const server = new PrivateMariadb(dir, await freePort(), extraArgs)
    // A temporary folder of its own: two servers set up at once (parallel test files) collide on
    // the temporary table names mariadb-install-db makes in a shared /tmp.
    mkdirSync(join(dir, 'tmp'), { recursive: true })
    const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${server.dataDir}`, `--tmpdir=${join(dir, 'tmp')}`, '--user=root',
      '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' })
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}${install.stdout}`)
    await server.start()
    return server
  }

  get connection (): { host: string, port: number, user: string, password: string } {
    return { host: '127.0.0.1', port: this.port, user: 'root', password: '' }
  }

  get running (): boolean { return this.child !== undefined }

  /** Starts mariadbd and waits until it accepts connections. */
  async start (): Promise<void> {
    if (this.child !== undefined) return
    const args = ['--no-defaults', `--datadir=${this.dataDir}`, `--tmpdir=${join(this.dir, 'tmp')}`, `--socket=${join(this.dir, 'sock')}`, `--port=${this.port}`,
      '--bind-address=127.0.0.1', '--user=root', `--pid-file=${join(this.dir, 'pid')}`, `--log-error=${join(this.dir, 'error.log')}`,
      '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--max-connections=50', ...this.extraArgs]
    const child = spawn('mariadbd', args, { stdio: 'ignore' })
    this.child = child
    child.once('exit', () => { if (this.child === child) this.child = undefined })
    const end = Date.now() + 60_000
    for (;;) {
      try {
        const c = await mysql.createConnection({ ...this.connection, connectTimeout: 2000 })
        await c.end()
        return
      } catch (e) {
        if (this.child === undefined) throw new Error(`mariadbd exited at start: ${this.errorLog()}`)
        if (Date.now() > end) throw new Error(`mariadbd did not accept connections within 60 s: ${(e as Error).message}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
  }

  /** Kills the server (SIGKILL: no clean shutdown, as in a crash) and waits until it is gone. */
  async kill (): Promise<void> {
    const child = this.child
    if (child === undefined) return
    const gone = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    child.kill('SIGKILL')
    await gone
    this.child = undefined
  }

  /** Kills the server and deletes its folder. */
  async destroy (): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Stops the server cleanly. */
  async stop (): Promise<void> {
    const child = this.child
    if (child === undefined) return
    const gone = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    child.kill('SIGTERM')
    await gone
    this.child = undefined
  }

  errorLog (): string {
    const file = join(this.dir, 'error.log')
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no error log)'
  }

  /** Writes a file into the server's folder (certificates for TLS tests). */
  writeFile (name: string, content: string): string {
    const file = join(this.dir, name)
    writeFileSync(file, content)
    return file
  }
}

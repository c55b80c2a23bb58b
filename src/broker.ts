/**
 * The broker: sessions, listeners and connections, with an explicit
 * lifecycle (created -> running -> stopping -> stopped; stop is idempotent).
 */
import net, { type AddressInfo } from 'node:net'
import type { Logger } from './log/logger.js'
import type { Policy } from './policy/policy.js'
import { forbiddenFolders, localFilesStep } from './policy/local-files.js'
import { UploadStore } from './files/uploads.js'
import { AuditLog } from './audit/audit.js'
import { ClientDirectory } from './clients/directory.js'
import { reevaluateConnections, type ReloadSummary } from './clients/reload.js'
import { AuthThrottle, remoteAddress, type ThrottleOptions } from './clients/throttle.js'
import { BrokerError } from './errors.js'
import { RateLimitedLog } from './log/rate-limited.js'
import { SessionRegistry } from './session/registry.js'
import { ClusterRegistry } from './cluster/cluster-registry.js'
import type { Settings } from './settings/types.js'
import type { TdBackend, TdObject } from './tdlib/backend.js'
import { Connection } from './server/connection.js'
import type { BrokerCore } from './server/core.js'
import { isLoopback, listen } from './server/listen.js'
import { compose, type RequestContext, type Step } from './server/pipeline.js'
import { requestSteps } from './pipeline-assembly.js'
import { bindSocket, SocketTransport } from './server/socket-transport.js'
import { readProxyStart, trustedPeers } from './server/proxy-protocol.js'
import { CertificateStore } from './certs/store.js'
import { createTlsServer } from './server/tls-listener.js'
import { createWebSocketListener, type WebSocketListener } from './server/websocket-listener.js'
import { BotApiGateway } from './gateway/gateway.js'
import { storageFor, type BrokerStore, type BrokerStoreOptions } from './store/storage.js'
import { BrokerMetrics, type MetricsSource } from './metrics/broker-metrics.js'
import { RateLimiter } from './limits/rate-limiter.js'
import { FloodWaits } from './limits/flood-waits.js'
import { floodWaitStep, rateLimitStep } from './limits/limit-steps.js'
import { createAdminServer, type AdminSource } from './admin/admin-server.js'
import type http from 'node:http'
import type https from 'node:https'

/** How long stop() waits for sockets to close by themselves. */
const STOP_GRACE_MS = 2000

export type BrokerState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped'

export interface BrokerOptions {
  settings: Settings
  backend: TdBackend
  logger: Logger
  /** Tuning of the store and MySQL mirror (tests); the store itself always exists. */
  store?: BrokerStoreOptions
  /** Tuning of the failed-authentication throttle (tests). */
  authThrottle?: Partial<ThrottleOptions>
  /** The clock of rate limits, flood waits and readiness (tests); default Date.now. */
  clock?: () => number
}

export interface BrokerAddresses {
  tcp?: AddressInfo
  tls?: AddressInfo
  websocket?: AddressInfo
  bot_api?: AddressInfo
  admin?: AddressInfo
}

export class Broker implements BrokerCore {
  readonly settings: Settings
  readonly log: Logger
  readonly backend: TdBackend
  readonly registry: SessionRegistry
  /** Local store and MySQL mirror: session records, the resolve cache, backups. */
  readonly store: BrokerStore
  /** Clients of settings; replaced by reloadClients. */
  private clientsValue: ClientDirectory
  readonly authThrottle: AuthThrottle
  readonly audit: AuditLog
  /** Files clients sent with broker.uploadFile, and the references issued for them. */
  readonly uploads = new UploadStore()
  readonly startedAt = Date.now()
  private stateValue: BrokerState = 'created'
  private readonly connections = new Set<Connection>()
  private readonly servers: net.Server[] = []
  private readonly runPipeline: (ctx: RequestContext) => Promise<TdObject>
  private nextConnectionId = 1
  /** The settings of the last reloadClients, to tell what changed on the next. */
  private reloadedFrom: Settings | undefined
  private stopping: Promise<void> | undefined
  /** The certificates of the tls section, once loaded (the Bot API gateway's HTTPS uses them too). */
  certificates: CertificateStore | undefined
  private websocket: WebSocketListener | undefined
  private gateway: BotApiGateway | undefined
  readonly addresses: BrokerAddresses = {}
  /** Every accepted TCP socket of every listener, until it closes. */
  private readonly rawSockets = new Set<net.Socket>()
  private readonly endpointList: string[] = []
  /** Open connections per remote address (max_connections_per_address). */
  private readonly perAddress = new Map<string, number>()
  /** Refused connections are logged, but a flood of them is not. */
  private readonly refusals: RateLimitedLog
  /** Prometheus metrics (served by the admin listener, when there is one). */
  readonly metrics: BrokerMetrics
  /** FLOOD_WAITs in force, per session and request type. */
  readonly floodWaits: FloodWaits
  private readonly clock: () => number
  private admin: http.Server | https.Server | undefined

  /** `steps` (tests, benchmarks) run last, right before TDLib. */
  constructor (options: BrokerOptions, steps: readonly Step[] = []) {
    this.settings = options.settings
    this.log = options.logger
    const storage = storageFor(this.settings, options.backend, this.log, options.store)
    this.store = storage.store
    this.backend = storage.backend
    this.clientsValue = new ClientDirectory(this.settings)
    this.authThrottle = new AuthThrottle(options.authThrottle)
    this.audit = new AuditLog(this.log)
    this.refusals = new RateLimitedLog(this.log)
    this.registry = this.settings.cluster === undefined ? new SessionRegistry(this.settings, this.backend, this.log) : new ClusterRegistry(this.settings, this.backend, this.log, this.uploads)
    this.clock = options.clock ?? Date.now
    this.metrics = new BrokerMetrics(this.metricsSource(), this.settings.admin !== undefined)
    this.floodWaits = new FloodWaits(this.clock)
    const limiter = new RateLimiter(this.clock)
    const limits = [rateLimitStep(limiter, () => this.clientsValue), floodWaitStep(this.floodWaits, () => this.settings.flood_wait_guard)]
    // Policy, rate limits and flood waits, local files, resolution, chat scope, formatting (pipeline-assembly.ts says why), then `steps`.
    // Metrics are counted around the whole chain, in execute().
    this.runPipeline = compose(requestSteps(() => this.settings, this.store, options.backend, this.log, steps, [...limits, localFilesStep(this.uploads, forbiddenFolders(this.settings))]))
  }

  /** What the metrics' gauges read when scraped. */
  private metricsSource (): MetricsSource {
    return {
      sessionStates: () => this.registry.list().map(s => s.state),
      connections: () => [...this.connections].map(c => ({ transport: c.transport.kind, client: c.identity.name, queued: c.transport.bufferedBytes() })),
      mysql: () => {
        const mirror = this.store.mirror
        return mirror === undefined ? undefined : { up: mirror.state === 'up', queued: mirror.queued, downSinceMs: mirror.downSinceMs }
      },
      certificateNotAfter: () => this.certificates?.current.certificate.notAfter,
      floodWaits: () => this.floodWaits.active(),
      typeLabel: type => this.clientsValue.global.allowsRequest(type) ? type : 'other',
      now: () => this.clock(),
      hasMysql: this.settings.mysql !== undefined,
      hasCertificate: this.settings.tls !== undefined
    }
  }

  private adminSource (): AdminSource {
    const broker = this
    return {
      metrics: this.metrics,
      startedAt: this.startedAt,
      get state () { return broker.stateValue },
      storeDir: this.settings.tdlib.path,
      mysql: () => this.store.mirror === undefined ? undefined : { state: this.store.mirror.state },
      starting: () => this.registry.list().flatMap(s => s.startingSince === undefined ? [] : [{ id: s.id, since: s.startingSince }]),
      startingLimitSeconds: this.settings.admin?.starting_limit ?? 60,
      now: () => this.clock(),
      certificates: () => this.certificates,
      status: {
        get state () { return broker.stateValue },
        startedAt: this.startedAt,
        sessions: () => this.registry.list(),
        connections: () => this.connections,
        clients: () => this.clientsValue,
        account: id => this.store.local.session(id),
        certificate: () => this.certificates?.current.certificate,
        mysql: () => this.store.mirror,
        floodWaits: () => this.floodWaits.active(),
        rates: this.metrics.clientRates,
        now: () => this.clock()
      }
    }
  }

  get state (): BrokerState { return this.stateValue }
  get shuttingDown (): boolean { return this.stateValue === 'stopping' || this.stateValue === 'stopped' }
  get connectionCount (): number { return this.connections.size }
  /** The global whitelists. */
  get policy (): Policy { return this.clientsValue.global }
  get clients (): ClientDirectory { return this.clientsValue }

  /**
   * Applies the clients, whitelists and audit_file of `settings` (SIGHUP)
   * without dropping sessions. Every connection is re-evaluated at once:
   * one whose client was removed (or whose key or certificate changed) is
   * told and closed; one whose scope no longer covers a session is detached
   * from it. Other changed options are logged as needing a restart.
   * Throws, changing nothing, if the clients cannot be used.
   */
  reloadClients (settings: Settings): ReloadSummary {
    const clients = new ClientDirectory(settings)
    // Reopened even when unchanged, so a rotated audit file is let go.
    if (settings.audit_file !== undefined || this.audit.file !== undefined) this.audit.reopen(settings.audit_file)
    const running = this.reloadedFrom ?? this.settings
    this.clientsValue = clients
    this.metrics.relabel()
    this.reloadedFrom = settings
    return reevaluateConnections(this.connections, running, settings, clients.size, this.log, this.audit)
  }

  /**
   * Runs a request through the pipeline. With metrics off, compose()'s promise
   * is handed on without an async frame of its own (it never throws). With
   * metrics on, every request is counted by type and outcome (refusals by the
   * steps too) and timed in the one await of executeCounted rather than in a
   * step of its own: a step would cost every request a promise and a microtask
   * turn more.
   */
  execute (ctx: RequestContext): Promise<TdObject> {
    return this.metrics.enabled ? this.executeCounted(ctx) : this.runPipeline(ctx)
  }

  private async executeCounted (ctx: RequestContext): Promise<TdObject> {
    const metrics = this.metrics
    // Read before the steps run: they may replace the request.
    const type = metrics.typeId(ctx.request['@type'] as string)
    const start = metrics.startedMs(ctx.client.name)
    try {
      const answer = await this.runPipeline(ctx)
      metrics.answered(type, answer, start)
      return answer
    } catch (e) {
      metrics.failed(type, e, start, ctx.client.name)
      throw e
    }
  }
  forget (connection: Connection): void {
    if (!this.connections.delete(connection)) return
    const address = remoteAddress(connection.transport.remote)
    const left = (this.perAddress.get(address) ?? 1) - 1
    if (left <= 0) this.perAddress.delete(address)
    else this.perAddress.set(address, left)
  }
  /** BrokerCore's; without `visible` (the broker's own callers, tests), every session. */
  statusExtras (visible: (session: string) => boolean = () => true): Record<string, unknown> {
    const cert = this.certificates?.current.certificate
    const now = this.floodWaits.now
    const floods = this.floodWaits.active().filter(w => visible(w.session)).map(w => ({ session: w.session, type: w.type, until: new Date(w.until).toISOString(), seconds_left: Math.ceil((w.until - now) / 1000) }))
    const storage = { ...this.store.status(), ...(this.registry instanceof ClusterRegistry ? { cluster: this.registry.status(visible) } : {}), flood_waits: floods, ...(this.settings.flood_wait_guard ? { flood_wait_guard: true } : {}) }
    if (cert === undefined) return storage
    return { ...storage, certificate: { subject: cert.subject, not_after: cert.notAfter.toISOString(), days_left: cert.daysLeft, fingerprint256: cert.fingerprint256 } }
  }

  /**
   * Reads the TLS certificate, key and CA again (SIGHUP). New handshakes use
   * the new files; open connections and sessions are untouched. A broken file
   * keeps the old certificates in use and is reported.
   */
  async reloadCertificates (): Promise<void> {
    if (this.certificates === undefined) return
    await this.certificates.reload()
  }

  /** Opens the session store and starts listening. */
  async start (): Promise<void> {
    if (this.stateValue !== 'created') throw new Error(`broker cannot start from state ${this.stateValue}`)
    this.stateValue = 'starting'
    try {
      const { host, port } = this.settings
      if (!isLoopback(host) && !this.settings.allow_public_plain) {
        throw new Error(`host ${host} is not a loopback address, and the plain listener has no authentication: ` +
          'keep it on localhost behind nginx or the TLS listener, or set allow_public_plain: true if the network in between is trusted')
      }
      const ws = this.settings.websocket
      if (ws !== undefined && !ws.tls && !isLoopback(ws.host) && !this.settings.allow_public_plain) {
        throw new Error(`websocket.host ${ws.host} is not a loopback address, and a WebSocket listener without tls is plain: ` +
          'keep it on localhost behind a proxy, set websocket.tls: true, or set allow_public_plain: true if the network in between is trusted')
      }
      this.audit.reopen(this.settings.audit_file)
      await this.registry.open()
      await this.store.open()
      const server = net.createServer({ allowHalfOpen: true }, this.plainHandler())
      this.track(server)
      this.addresses.tcp = await this.listenOn(server, host, port, 'plain TCP', 'plain TCP, newline-delimited JSON')
      if (!isLoopback(host)) this.log.warn({ host }, 'the plain listener is reachable from other hosts (allow_public_plain): anyone who can reach it has full access')
      this.log.info({ host: this.addresses.tcp.address, port: this.addresses.tcp.port, backend: this.backend.kind, tdlib: this.backend.tdlibVersion }, 'listening')
      await this.startSecureListeners()
      await this.startGateway()
      await this.startAdmin()
      this.stateValue = 'running'
    } catch (e) {
      this.stateValue = 'stopped'
      for (const s of this.servers) s.close()
      this.websocket?.wss.close()
      this.certificates?.close()
      await this.gateway?.stop().catch(() => {})
      await this.registry.close('start failed').catch(() => {})
      await this.store.close().catch(() => {})
      await this.audit.close()
      throw e
    }
  }

  /**
   * Accepts plain TCP sockets. With proxy_protocol, a trusted peer's PROXY
   * header is read first and the connection gets the client's address.
   */
  private plainHandler (): (socket: net.Socket) => void {
    const plain = (socket: net.Socket, start?: { remote?: string, rest: Buffer }): void => {
      // What followed the header is read again first, by the connection's framing.
      if (start !== undefined && start.rest.length > 0) socket.unshift(start.rest)
      const remote = start?.remote
      const transport = new SocketTransport(socket, 'tcp', remote === undefined ? {} : { remote })
      this.accept(transport, c => { bindSocket(socket, c, start === undefined) })
      socket.resume()
    }
    if (!this.settings.proxy_protocol) return socket => { plain(socket) }
    const trusted = trustedPeers(this.settings.proxy_protocol_trusted)
    return socket => {
      if (!trusted(socket.remoteAddress ?? '')) {
        plain(socket)
        return
      }
      readProxyStart(socket).then(start => { plain(socket, start) }, (e: Error) => {
        this.refusals.warn('proxy-protocol', { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, err: e.message }, 'connection from a trusted proxy dropped')
        socket.destroy()
      })
    }
  }

  private async startSecureListeners (): Promise<void> {
    const { tls: tlsSettings, websocket } = this.settings
    if (tlsSettings !== undefined) {
      const store = await CertificateStore.open(tlsSettings)
      this.certificates = store
      const certLog = this.log.child({ component: 'certificates' })
      for (const warning of store.warnings) certLog.warn(warning)
      store.on('reloaded', loaded => {
        certLog.info({ subject: loaded.certificate.subject, not_after: loaded.certificate.notAfter.toISOString(), fingerprint256: loaded.certificate.fingerprint256 }, 'certificates reloaded')
        for (const warning of loaded.warnings) certLog.warn(warning)
      })
      store.on('reloadFailed', e => { certLog.error({ err: e.message }, 'certificate reload failed; the previous certificates stay in use') })
      const server = createTlsServer(store, this.log, (t, bind) => { this.accept(t, bind) })
      this.track(server)
      this.addresses.tls = await this.listenOn(server, tlsSettings.host, tlsSettings.port, 'TLS', `TLS, ${tlsSettings.verify_clients ? 'client certificates required' : 'no client certificates'}`)
      this.log.info({ host: this.addresses.tls.address, port: this.addresses.tls.port, verify_clients: tlsSettings.verify_clients }, 'listening (TLS)')
    }
    if (websocket !== undefined) {
      this.websocket = createWebSocketListener(websocket, this.certificates, this.settings.max_frame_size, this.log, (t, bind) => { this.accept(t, bind) })
      this.track(this.websocket.server)
      this.addresses.websocket = await this.listenOn(this.websocket.server, websocket.host, websocket.port, 'WebSocket', `WebSocket${websocket.tls ? ' over TLS' : ''}, path ${websocket.path}`)
      if (!websocket.tls && !isLoopback(websocket.host)) this.log.warn({ host: websocket.host }, 'the plain WebSocket listener is reachable from other hosts (allow_public_plain): anyone who can reach it has full access unless clients are set')
      this.log.info({ host: this.addresses.websocket.address, port: this.addresses.websocket.port, path: websocket.path, tls: websocket.tls }, 'listening (WebSocket)')
    }
  }

  /** Counts a Bot API token the gateway refused (GatewayHost). */
  tokenRefused (reason: string): void { this.metrics.authFailure(`bot_api_${reason}`) }

  /** The Bot API gateway (docs/bot-api.md), when settings have bot_api. */
  private async startGateway (): Promise<void> {
    const botApi = this.settings.bot_api
    if (botApi === undefined) return
    // Wrong tokens count against their address like wrong client keys, in the same throttle.
    this.gateway = new BotApiGateway(botApi, this, this.log.child({ component: 'bot-api' }), this.authThrottle)
    const address = await this.gateway.start()
    this.addresses.bot_api = address
    this.endpointList.push(`${address.address}:${address.port} (Bot API over ${botApi.tls ? 'HTTPS' : 'HTTP'}, ${botApi.consumers.length} consumers)`)
    if (!botApi.tls && !isLoopback(botApi.host)) this.log.warn({ host: botApi.host }, 'the Bot API listener is plain HTTP and reachable from other hosts: tokens cross the network in the clear (set bot_api.tls: true)')
    this.log.info({ host: address.address, port: address.port, tls: botApi.tls, consumers: botApi.consumers.length }, 'listening (Bot API)')
  }

  /** The admin HTTP listener (/metrics, /healthz, /readyz, the status page), when settings have `admin`. */
  private async startAdmin (): Promise<void> {
    const admin = this.settings.admin
    if (admin === undefined) return
    this.admin = createAdminServer(admin, this.adminSource(), this.log.child({ component: 'admin' }))
    this.track(this.admin)
    this.addresses.admin = await this.listenOn(this.admin, admin.host, admin.port, 'admin', `admin ${admin.tls ? 'HTTPS' : 'HTTP'}${admin.token === undefined ? '' : ' with a bearer token'}: /metrics, /healthz, /readyz, the status page /`)
    if (!isLoopback(admin.host) && admin.token === undefined) this.log.warn({ host: admin.host }, 'the admin listener is reachable from other hosts without admin.token: anyone who can reach it can read the metrics')
    this.log.info({ host: this.addresses.admin.address, port: this.addresses.admin.port }, 'listening (admin)')
  }

  /** What the broker listens on, one line per listener, e.g. "127.0.0.1:23456 and [::1]:23456 (plain TCP, ...)". */
  get endpoints (): readonly string[] { return this.endpointList }

  private async listenOn (server: net.Server, host: string, port: number, what: string, description: string): Promise<AddressInfo> {
    const before = this.servers.length
    const address = await listen(server, host, port, what, this.servers)
    const shown = address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`
    const companion = this.servers.length > before ? ` and [::1]:${address.port}` : ''
    this.endpointList.push(`${shown}${companion} (${description})`)
    return address
  }

  private track (server: net.Server): void {
    this.servers.push(server)
    rawSocketSets.set(server, this.rawSockets)
    server.on('connection', trackRawSocket)
  }

  /** Registers a new connection on a transport; `bind` wires the transport's input to it. */
  accept (transport: Connection['transport'], bind: (c: Connection) => void): Connection | undefined {
    if (this.stateValue !== 'running') {
      transport.destroy()
      return undefined
    }
    const address = remoteAddress(transport.remote)
    const refusal = this.admission(address)
    if (refusal !== undefined) {
      this.refusals.warn(refusal.errorName, { remote: transport.remote, transport: transport.kind, reason: refusal.errorName }, 'connection refused')
      transport.send(JSON.stringify(refusal.toTd()))
      transport.end()
      return undefined
    }
    const connection = new Connection(transport, this, `c${this.nextConnectionId++}`)
    this.connections.add(connection)
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1)
    bind(connection)
    connection.opened()
    return connection
  }

  /** Why a new connection from `address` is refused (max_connections, max_connections_per_address), if it is. */
  private admission (address: string): BrokerError | undefined {
    const { max_connections: max, max_connections_per_address: perAddress } = this.settings
    if (this.connections.size >= max) {
      return new BrokerError('TOO_MANY_CONNECTIONS', `the broker already has ${max} open connections (max_connections); try again later`)
    }
    if ((this.perAddress.get(address) ?? 0) >= perAddress) {
      return new BrokerError('TOO_MANY_CONNECTIONS_PER_ADDRESS', `address ${address} already has ${perAddress} open connections (max_connections_per_address); close some first`)
    }
    return undefined
  }

  /**
   * Stops accepting, tells every client, closes every TDLib client cleanly,
   * then closes the connections. Safe to call more than once.
   */
  async stop (reason = 'shutdown'): Promise<void> {
    if (this.stopping !== undefined) return await this.stopping
    this.stopping = (async () => {
      this.stateValue = 'stopping'
      this.log.info({ reason }, 'broker stopping')
      const closed = this.servers.map(async s => { await new Promise<void>(resolve => { s.close(() => { resolve() }) }) })
      const notice = JSON.stringify({ '@type': 'broker.closing', reason })
      for (const c of this.connections) c.send(notice)
      // Before the sessions close: waiting getUpdates end and the queues are written.
      await this.gateway?.stop()
      // Keep-alive scrapers must not hold the stop.
      this.admin?.closeIdleConnections()
      await this.registry.close(reason)
      await this.store.close()
      for (const c of [...this.connections]) c.close(reason)
      this.websocket?.wss.close()
      this.certificates?.close()
      // Sockets that never became connections (a handshake in progress, a
      // peer that went quiet) get a short grace, then are cut.
      const grace = setTimeout(() => { for (const socket of this.rawSockets) socket.destroy() }, STOP_GRACE_MS)
      await Promise.all(closed)
      clearTimeout(grace)
      await this.backend.shutdown()
      await this.audit.close()
      this.stateValue = 'stopped'
      this.log.info('broker stopped')
    })()
    return await this.stopping
  }
}

/**
 * Each listening server's set of raw sockets (its broker's rawSockets), found
 * from the socket's own `server`: the listeners below are shared functions,
 * not a closure and a once() wrapper that every idle connection kept.
 */
const rawSocketSets = new WeakMap<net.Server, Set<net.Socket>>()
type ServedSocket = net.Socket & { server?: net.Server }

function trackRawSocket (this: net.Server, socket: net.Socket): void {
  rawSocketSets.get(this)?.add(socket)
  socket.on('close', forgetRawSocket)
}

function forgetRawSocket (this: ServedSocket): void {
  if (this.server !== undefined) rawSocketSets.get(this.server)?.delete(this)
}

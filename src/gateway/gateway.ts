/**
 * The Bot API gateway: an HTTP listener whose tokens stand for consumers,
 * each tied to one bot session and to one client of settings whose scope
 * applies (docs/bot-api.md). Consumers of one session share one attachment
 * to it (bot-session.ts) and each has its own update queue (queue.ts).
 */
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo, Server } from 'node:net'
import { join } from 'node:path'
import type { CertificateStore } from '../certs/store.js'
import type { ClientDirectory } from '../clients/directory.js'
import { uploadHostOf, type UploadStore } from '../files/uploads.js'
import { AuthThrottle, remoteAddress, ThrottleRefused } from '../clients/throttle.js'
import type { Logger } from '../log/logger.js'
import type { ClientPolicy } from '../policy/policy.js'
import type { ClientIdentity, RequestContext } from '../server/pipeline.js'
import { listen } from '../server/listen.js'
import { HANDSHAKE_TIMEOUT_MS } from '../server/tls-listener.js'
import type { SessionRegistry } from '../session/registry.js'
import type { BotApiConsumerSettings, BotApiSettings } from '../settings/types.js'
import type { TdBackend, TdObject } from '../tdlib/backend.js'
import { BotSession } from './bot-session.js'
import { BotApiError, badRequest, expectTd, forbidden } from './errors.js'
import { INSTANCE_NAME } from './group.js'
import { botApiListener, type CallMeta } from './http.js'
import { METHOD_NAMES, METHODS } from './methods.js'
import { Params } from './params.js'
import { UpdateQueue, type Poller } from './queue.js'
import { QueueLog } from './queue-log.js'
import { TokenDirectory } from './tokens.js'
import { WebhookSender } from './webhook.js'

/** Open HTTP connections the gateway accepts at once; more are refused by node:http until some close. */
const MAX_HTTP_CONNECTIONS = 4096

/** What the gateway needs of the broker. */
export interface GatewayHost {
  readonly registry: SessionRegistry
  readonly clients: ClientDirectory
  readonly backend: Pick<TdBackend, 'execute'>
  execute(ctx: RequestContext): Promise<TdObject>
  /** Counts a refused token (metrics), by reason. */
  tokenRefused?(reason: string): void
  /** Where uploaded file parts go (the broker's, as for broker.uploadFile). */
  readonly uploads: UploadStore
  /** The certificates of the tls section, for bot_api.tls. */
  readonly certificates?: CertificateStore
  /** tdlib.path: each bot session's consumer queues are in `<tdlib.path>/<session id>/bot-api/` on this host. */
  readonly settings: { readonly tdlib: { readonly path: string }, readonly max_upload_file_size: number }
}

interface Consumer {
  readonly settings: BotApiConsumerSettings
  readonly queue: UpdateQueue
  readonly bot: BotSession
  readonly webhook: WebhookSender
}

export class BotApiGateway {
  private readonly tokens: TokenDirectory
  private readonly consumers = new Map<string, Consumer>()
  private readonly bots = new Map<string, BotSession>()
  /** The queue log of each bot session (by session id), shared by its consumers. */
  private readonly logs = new Map<string, QueueLog>()
  /**
   * The logger of each consumer and method, made once (a pino child per call was a sixth of a
   * call's own time); bounded by the consumers times the methods, as only known methods get here.
   */
  private readonly callLogs = new Map<string, Logger>()
  private readonly servers: Server[] = []
  private server: http.Server | https.Server | undefined
  /** Wrong tokens slow down their address, as wrong client keys do (clients/throttle.ts). */
  private readonly throttle: AuthThrottle
  private detach: (() => void) | undefined

  constructor (private readonly settings: BotApiSettings, private readonly host: GatewayHost, private readonly log: Logger, throttle?: AuthThrottle) {
    this.tokens = new TokenDirectory(settings.consumers)
    this.throttle = throttle ?? new AuthThrottle()
  }

  /**
   * Attaches to every consumer's bot session, reads the saved queues, then
   * listens. A consumer whose session does not exist is logged and answers
   * every call with 500 until the broker restarts with it.
   */
  async start (): Promise<AddressInfo> {
    for (const c of this.settings.consumers) {
      const session = this.host.registry.get(c.session)
      if (session === undefined) {
        this.log.error({ consumer: c.name, session: c.session }, 'Bot API consumer names a session that does not exist')
        continue
      }
      let bot = this.bots.get(c.session)
      if (bot === undefined) {
        bot = new BotSession(session, this.log.child({ session: c.session }))
        this.bots.set(c.session, bot)
      }
      // The session's folder on this host, named rather than taken from the session: a cluster node's
      // handle of a session another node runs has no folder, and the queues are this node's own.
      const folder = join(this.host.settings.tdlib.path, c.session, 'bot-api')
      let log = this.logs.get(c.session)
      if (log === undefined) {
        log = new QueueLog(join(folder, 'queues.log'), this.log.child({ session: c.session }))
        this.logs.set(c.session, log)
      }
      const queue = new UpdateQueue(join(folder, `${c.name}.json`), this.settings.max_queue, this.log.child({ consumer: c.name }),
        c.group ? c.group_handover_timeout * 1000 : undefined, { log, name: c.name })
      await queue.load()
      bot.listeners.push({ queue, policy: () => this.policyOf(c) })
      const webhook = new WebhookSender(queue, async (method, params) => await this.invoke(c, method, params, 'webhook response'), this.log.child({ consumer: c.name, component: 'webhook' }))
      this.consumers.set(c.name, { settings: c, queue, bot, webhook })
    }
    for (const bot of this.bots.values()) {
      // A bot session that cannot start does not keep the broker from starting: its consumers get errors until a retry starts it.
      await bot.attach().catch((e: Error) => { this.log.error({ session: bot.session.id, err: e.message }, 'a bot session of the Bot API gateway did not start; it is tried again') })
    }
    // Updates saved while the broker was down go out now.
    for (const c of this.consumers.values()) c.webhook.kick()
    const listener = botApiListener(async (token, method, params, meta) => await this.call(token, method, params, meta), e => {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'Bot API call failed')
    }, { maxUpload: this.settings.max_upload_size })
    const server = this.settings.tls ? this.httpsServer(listener) : http.createServer({ keepAlive: true }, listener)
    server.maxConnections = MAX_HTTP_CONNECTIONS
    this.server = server
    this.servers.push(server)
    return await listen(server, this.settings.host, this.settings.port, 'the Bot API gateway', this.servers)
  }

  /**
   * HTTPS from the tls section's certificates, swapped on reload like the
   * broker's TLS listener. Tokens authenticate, so no client certificate is
   * asked for even when tls.verify_clients is on.
   */
  private httpsServer (listener: http.RequestListener): https.Server {
    const store = this.host.certificates
    if (store === undefined) throw new Error('bot_api.tls needs the tls section (certificate and key)')
    const server = https.createServer({ ...store.serverOptions(), requestCert: false, rejectUnauthorized: false, keepAlive: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, listener)
    this.detach = store.attach(server)
    server.on('tlsClientError', (e, socket) => {
      this.log.debug({ err: e.message, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` }, 'Bot API: TLS handshake refused')
    })
    return server
  }

  /** Stops listening, ends waiting getUpdates, writes the queues and detaches from the sessions. */
  async stop (): Promise<void> {
    const closed = this.servers.map(async s => { await new Promise<void>(resolve => { s.close(() => { resolve() }) }) })
    this.server?.closeAllConnections()
    this.detach?.()
    for (const c of this.consumers.values()) await c.webhook.stop()
    for (const bot of this.bots.values()) await bot.close()
    for (const c of this.consumers.values()) await c.queue.close()
    for (const log of this.logs.values()) await log.close()
    await Promise.all(closed)
  }

  private policyOf (c: BotApiConsumerSettings): ClientPolicy | undefined {
    return this.host.clients.byName(c.client)?.policy
  }

  /**
   * One HTTP call. `<token>~<instance>` names a consumer group's instance
   * (so does the X-Tdbroker-Instance header). A token not yet known right
   * waits its turn in the throttle, so guessing from one address is slow.
   */
  private async call (path: string, method: string, values: Record<string, unknown>, meta: CallMeta): Promise<unknown> {
    const tilde = path.indexOf('~')
    const token = tilde === -1 ? path : path.slice(0, tilde)
    const instance = tilde === -1 ? meta.instance : path.slice(tilde + 1)
    const settings = this.tokens.cached(token) ?? await this.checkToken(token, meta.remote)
    if (instance !== undefined && !INSTANCE_NAME.test(instance)) throw badRequest('an instance name must be 1 to 64 characters A-Z, a-z, 0-9, ".", "_" and "-"')
    // The departure is read only by getUpdates (a getter: other methods never make one).
    const poller: Poller = { get departure () { return meta.departure }, ...(instance === undefined ? {} : { instance }) }
    return await this.invoke(settings, method, values, meta.remote, poller)
  }

  private async checkToken (token: string, remote: string): Promise<BotApiConsumerSettings> {
    const address = remoteAddress(remote)
    let turn
    try {
      turn = await this.throttle.acquire({ address, name: undefined, known: false })
    } catch (e) {
      if (!(e instanceof ThrottleRefused)) throw e
      this.host.tokenRefused?.('throttled')
      const seconds = Math.max(1, Math.ceil(this.throttle.delayAfter(e.failures) / 1000))
      throw new BotApiError(429, `Too Many Requests: retry after ${seconds}`, seconds)
    }
    let settings: BotApiConsumerSettings | undefined
    try {
      settings = await this.tokens.lookup(token)
    } catch (e) {
      turn.release()
      throw e
    }
    if (settings !== undefined) {
      turn.succeed()
      return settings
    }
    const failures = turn.fail()
    this.host.tokenRefused?.('unknown_token')
    if (failures > 1) this.log.info({ address, failures, next_delay_ms: this.throttle.delayAfter(failures) }, 'Bot API: another wrong token from this address; its next attempts are delayed')
    throw new BotApiError(401, 'Unauthorized')
  }

  /** Runs a method as a consumer (an HTTP call, or a method a webhook answered with). */
  private async invoke (settings: BotApiConsumerSettings, method: string, values: Record<string, unknown>, remote: string, poller: Poller = {}): Promise<unknown> {
    const lower = method.toLowerCase()
    const def = METHODS.get(lower)
    if (def === undefined) throw new BotApiError(404, 'Not Found')
    if (settings.group && lower === 'setwebhook' && new Params(values).has('url')) {
      throw badRequest('this consumer is a group, whose instances poll with getUpdates; a webhook is one URL: put the instances behind a load balancer and use a consumer that is not a group')
    }
    const consumer = this.consumers.get(settings.name)
    if (consumer === undefined) throw new BotApiError(500, `Internal Server Error: the bot session ${settings.session} of this token does not exist`)
    const policy = this.policyOf(settings)
    if (policy === undefined) throw forbidden(`the client "${settings.client}" of this token is not in clients`)
    if (!policy.allowsSession(consumer.bot.session)) throw forbidden(`the client "${settings.client}" may not use session ${settings.session}`)
    const refused = def.td.find(type => !policy.allowsRequest(type))
    if (refused !== undefined) throw forbidden(`${method} needs the TDLib request ${refused}, which the scope of client "${settings.client}" does not allow`)
    const connectionId = `bot-api:${settings.name}`
    const client: ClientIdentity = { name: settings.client, connectionId, remote, auth: 'key', policy }
    const session = consumer.bot.session
    const logKey = `${settings.name}\n${lower}`
    let log = this.callLogs.get(logKey)
    if (log === undefined) this.callLogs.set(logKey, log = this.log.child({ consumer: settings.name, method: METHOD_NAMES.get(lower) ?? method }))
    return await def.run({
      consumer: settings,
      params: new Params(values),
      bot: consumer.bot,
      queue: consumer.queue,
      webhook: consumer.webhook,
      poller,
      backend: this.host.backend,
      call: async request => expectTd(await this.host.execute({ client, session, request, log })),
      upload: async file => {
        const uploads = this.host.uploads
        const name = file.name === '' ? 'file' : file.name
        const remote = uploadHostOf(session)
        let path: string
        if (remote !== undefined) {
          // A cluster node's handle: written on the node that runs the session, where TDLib reads it. The
          // part is bounded by bot_api.max_upload_size already, as uploads.save below takes it whole.
          path = (await remote.upload({ client: settings.client, connectionId, name, data: file.bytes, maxFileSize: Math.max(file.bytes.length, this.host.settings.max_upload_file_size) })).token
          uploads.remember(path, session.id, settings.client)
        } else {
          path = await uploads.save(session, settings.client, connectionId, name, file.bytes)
        }
        log.debug({ size: file.bytes.length, ...(remote === undefined ? {} : { written_by: 'the owner node' }) }, 'file part written for TDLib')
        return { input: { '@type': 'inputFileLocal', path }, release: async () => { await uploads.release(path) } }
      }
    })
  }
}

/**
 * The Bot API gateway: an HTTP listener whose tokens stand for consumers,
 * each tied to one bot session and to one client of settings whose scope
 * applies (docs/bot-api.md). Consumers of one session share one attachment
 * to it (bot-session.ts) and each has its own update queue (queue.ts).
 */
import http from 'node:http'
import type { AddressInfo, Server } from 'node:net'
import { join } from 'node:path'
import type { ClientDirectory } from '../clients/directory.js'
import type { Logger } from '../log/logger.js'
import type { ClientPolicy } from '../policy/policy.js'
import type { ClientIdentity, RequestContext } from '../server/pipeline.js'
import { listen } from '../server/listen.js'
import type { SessionRegistry } from '../session/registry.js'
import type { BotApiConsumerSettings, BotApiSettings } from '../settings/types.js'
import type { TdBackend, TdObject } from '../tdlib/backend.js'
import { BotSession } from './bot-session.js'
import { BotApiError, expectTd, forbidden } from './errors.js'
import { botApiListener } from './http.js'
import { METHODS } from './methods.js'
import { Params } from './params.js'
import { UpdateQueue } from './queue.js'
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
  private readonly servers: Server[] = []
  private server: http.Server | undefined

  constructor (private readonly settings: BotApiSettings, private readonly host: GatewayHost, private readonly log: Logger) {
    this.tokens = new TokenDirectory(settings.consumers)
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
      const queue = new UpdateQueue(join(session.directory, 'bot-api', `${c.name}.json`), this.settings.max_queue, this.log.child({ consumer: c.name }))
      await queue.load()
      bot.listeners.push({ queue, policy: () => this.policyOf(c) })
      const webhook = new WebhookSender(queue, async (method, params) => await this.invoke(c, method, params, 'webhook response'), this.log.child({ consumer: c.name, component: 'webhook' }))
      this.consumers.set(c.name, { settings: c, queue, bot, webhook })
    }
    for (const bot of this.bots.values()) {
      // A bot session that cannot start does not keep the broker from starting: its consumers get 500s.
      await bot.attach().catch((e: Error) => { this.log.error({ session: bot.session.id, err: e.message }, 'a bot session of the Bot API gateway did not start') })
    }
    // Updates saved while the broker was down go out now.
    for (const c of this.consumers.values()) c.webhook.kick()
    const server = http.createServer({ keepAlive: true }, botApiListener(async (token, method, params, remote) => await this.call(token, method, params, remote), e => {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'Bot API call failed')
    }))
    server.maxConnections = MAX_HTTP_CONNECTIONS
    this.server = server
    this.servers.push(server)
    return await listen(server, this.settings.host, this.settings.port, 'the Bot API gateway', this.servers)
  }

  /** Stops listening, ends waiting getUpdates, writes the queues and detaches from the sessions. */
  async stop (): Promise<void> {
    const closed = this.servers.map(async s => { await new Promise<void>(resolve => { s.close(() => { resolve() }) }) })
    this.server?.closeAllConnections()
    for (const c of this.consumers.values()) await c.webhook.stop()
    for (const bot of this.bots.values()) await bot.close()
    for (const c of this.consumers.values()) await c.queue.close()
    await Promise.all(closed)
  }

  private policyOf (c: BotApiConsumerSettings): ClientPolicy | undefined {
    return this.host.clients.byName(c.client)?.policy
  }

  private async call (token: string, method: string, values: Record<string, unknown>, remote: string): Promise<unknown> {
    const settings = await this.tokens.lookup(token)
    if (settings === undefined) throw new BotApiError(401, 'Unauthorized')
    return await this.invoke(settings, method, values, remote)
  }

  /** Runs a method as a consumer (an HTTP call, or a method a webhook answered with). */
  private async invoke (settings: BotApiConsumerSettings, method: string, values: Record<string, unknown>, remote: string): Promise<unknown> {
    const def = METHODS.get(method.toLowerCase())
    if (def === undefined) throw new BotApiError(404, 'Not Found')
    const consumer = this.consumers.get(settings.name)
    if (consumer === undefined) throw new BotApiError(500, `Internal Server Error: the bot session ${settings.session} of this token does not exist`)
    const policy = this.policyOf(settings)
    if (policy === undefined) throw forbidden(`the client "${settings.client}" of this token is not in clients`)
    if (!policy.allowsSession(consumer.bot.session)) throw forbidden(`the client "${settings.client}" may not use session ${settings.session}`)
    const refused = def.td.find(type => !policy.allowsRequest(type))
    if (refused !== undefined) throw forbidden(`${method} needs the TDLib request ${refused}, which the scope of client "${settings.client}" does not allow`)
    const client: ClientIdentity = { name: settings.client, connectionId: `bot-api:${settings.name}`, remote, auth: 'key', policy }
    const session = consumer.bot.session
    const log = this.log.child({ consumer: settings.name, method })
    return await def.run({
      consumer: settings,
      params: new Params(values),
      bot: consumer.bot,
      queue: consumer.queue,
      webhook: consumer.webhook,
      backend: this.host.backend,
      call: async request => expectTd(await this.host.execute({ client, session, request, log }))
    })
  }
}

/**
 * The payments desk put together: the account (client), the backend
 * (grammY through the gateway) and its webhook. States: idle → starting →
 * running → stopping → stopped; stop() is safe to call twice and from any
 * state. Stopping leaves the webhook set: the gateway keeps the updates that
 * arrive meanwhile and delivers them when the app is back.
 */
import { Account } from './account.js'
import { Backend, BACKEND_UPDATES } from './backend.js'
import type { PaymentsConfig } from './config.js'
import { PaymentsError } from './errors.js'
import { stderrLog, type Log } from './log.js'
import { State } from './state.js'
import { listenWebhook, type WebhookServer } from './webhook.js'

export type AppState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

export class PaymentsApp {
  private stateValue: AppState = 'idle'
  private account: Account | undefined
  private server: WebhookServer | undefined
  private backendValue: Backend | undefined
  private starting: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  /** The URL the gateway delivers to, once running. */
  webhookUrl = ''

  constructor (readonly config: Readonly<PaymentsConfig>, private readonly log: Log = stderrLog) {}

  get state (): AppState { return this.stateValue }

  /** The backend (its bot and its events); there once start() resolved. */
  get backend (): Backend {
    if (this.backendValue === undefined) throw new PaymentsError('CLOSED', 'the app is not running')
    return this.backendValue
  }

  async start (): Promise<void> {
    if (this.stateValue !== 'idle') throw new PaymentsError('CLOSED', `start() in state ${this.stateValue}`)
    this.stateValue = 'starting'
    this.starting = this.open()
    await this.starting
  }

  private async open (): Promise<void> {
    try {
      const c = this.config
      const records = new State(c.stateFile, { maxCustomers: c.maxCustomers, maxPayments: c.maxPayments })
      this.account = await Account.open({ url: c.broker.url, client: c.broker.client, key: c.broker.key, session: c.accountSession })
      const backend = new Backend(c, records, this.account, this.log)
      await backend.bot.init()
      this.server = await listenWebhook(backend.bot, { host: c.webhook.host, port: c.webhook.port, path: c.webhook.path, secret: c.webhook.secret })
      this.webhookUrl = c.webhook.url ?? `http://${c.webhook.host}:${this.server.port}${c.webhook.path}`
      await backend.bot.api.setWebhook(this.webhookUrl, { secret_token: c.webhook.secret, allowed_updates: [...BACKEND_UPDATES] })
      this.backendValue = backend
    } catch (e) {
      await this.release()
      this.stateValue = 'stopped'
      throw e
    }
    this.stateValue = 'running'
    this.log('info', 'payments desk running', { bot: this.backend.bot.botInfo.username, webhook: this.webhookUrl })
  }

  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      // A stop during start waits for it, so that nothing it opens stays open.
      await this.starting?.catch(() => undefined)
      this.stateValue = 'stopping'
      await this.release()
      this.stateValue = 'stopped'
    })()
    await this.stopping
  }

  private async release (): Promise<void> {
    await this.server?.close()
    this.account?.close()
  }
}

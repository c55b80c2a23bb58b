/**
 * The messenger bot's backend: grammY, unmodified, with the gateway as its
 * API root. It welcomes customers, has the account make their group, sends
 * the invite links, shows the instructions and the buttons, records
 * payments, and owns the approval (operators' own tokens cannot send).
 */
import { EventEmitter } from 'node:events'
import { Bot, InlineKeyboard, type Context } from 'grammy'
import type { Account } from './account.js'
import type { Operator, PaymentsConfig } from './config.js'
import { PaymentsError } from './errors.js'
import type { Log } from './log.js'
import type { Customer, Payment, State } from './state.js'
import { TEXTS } from './texts.js'

/** The updates the backend asks the gateway for (chat_member is not sent unless named, as in Telegram). */
export const BACKEND_UPDATES = ['message', 'callback_query', 'my_chat_member', 'chat_member'] as const

/** What happened, for whoever embeds the app (tests, a dashboard). */
export interface BackendEvents {
  groupCreated: [Customer]
  customerJoined: [Customer]
  operatorJoined: [Customer, Operator]
  customerMessage: [{ customer: Customer, text: string, messageId: number }]
  paymentOpened: [Payment]
  paymentApproved: [Payment, Operator]
}

const PAID = 'pay:paid'
const HOW = 'pay:how'
const APPROVE = /^pay:approve:(\d{1,15})$/

export class Backend extends EventEmitter<BackendEvents> {
  readonly bot: Bot
  private readonly operators: ReadonlyMap<number, Operator>
  /** Groups being made, per customer: a second /start waits for the first one's group. */
  private readonly making = new Map<number, Promise<Customer>>()

  constructor (private readonly config: Readonly<PaymentsConfig>, private readonly state: State, private readonly account: Account, private readonly log: Log) {
    super()
    this.operators = new Map(config.operators.map(o => [o.userId, o]))
    this.bot = new Bot(config.botApi.token, { client: { apiRoot: config.botApi.apiRoot } })
    this.routes()
  }

  private routes (): void {
    const bot = this.bot
    const dm = bot.chatType('private')
    dm.command('start', async ctx => {
      const operator = this.operators.get(ctx.from.id)
      if (operator !== undefined) await this.welcomeOperator(ctx, operator)
      else await this.welcomeCustomer(ctx)
    })
    dm.command('approve', async ctx => {
      const operator = this.operators.get(ctx.from.id)
      if (operator === undefined) { await ctx.reply(TEXTS.notOperator); return }
      const arg = ctx.match.trim()
      if (!/^\d{1,15}$/.test(arg)) { await ctx.reply(TEXTS.approveUsage); return }
      await ctx.reply(await this.approve(Number(arg), operator, arg))
    })
    bot.callbackQuery(APPROVE, async ctx => {
      const operator = this.operators.get(ctx.from.id)
      if (operator === undefined) { await ctx.answerCallbackQuery({ text: TEXTS.notOperator, show_alert: true }); return }
      const id = ctx.match[1] as string
      await ctx.answerCallbackQuery({ text: await this.approve(Number(id), operator, id) })
    })
    bot.callbackQuery(HOW, async ctx => {
      const customer = this.customerOf(ctx)
      await ctx.answerCallbackQuery({ text: TEXTS.howAnswer })
      if (customer !== undefined) await ctx.api.sendMessage(customer.chatId, TEXTS.instructions)
    })
    bot.callbackQuery(PAID, async ctx => {
      const customer = this.customerOf(ctx)
      if (customer === undefined || ctx.from.id !== customer.userId) { await ctx.answerCallbackQuery(); return }
      const open = this.state.pendingPaymentOf(customer.chatId)
      if (open !== undefined) { await ctx.answerCallbackQuery({ text: TEXTS.paymentAlreadyOpen(open.id) }); return }
      const payment = this.state.openPayment(customer, Date.now())
      await ctx.answerCallbackQuery({ text: TEXTS.paidAnswer(payment.id) })
      await ctx.api.sendMessage(customer.chatId, TEXTS.paymentOpened(payment.id))
      this.emit('paymentOpened', payment)
      await this.toOperators(TEXTS.operatorPayment(payment.id, customer.name), new InlineKeyboard().text(TEXTS.approveButton(payment.id), `pay:approve:${payment.id}`))
    })
    bot.on('chat_member', async ctx => {
      const change = ctx.chatMember
      const customer = this.state.customerOfChat(change.chat.id)
      const joined = change.new_chat_member.status === 'member' && change.old_chat_member.status !== 'member'
      if (customer === undefined || !joined) return
      const who = change.new_chat_member.user.id
      const operator = this.operators.get(who)
      if (who === customer.userId && !customer.joined) {
        this.state.updateCustomer(customer, c => { c.joined = true })
        await ctx.api.sendMessage(customer.chatId, TEXTS.groupWelcome(customer.name), { reply_markup: new InlineKeyboard().text(TEXTS.howButton, HOW).text(TEXTS.paidButton, PAID) })
        this.emit('customerJoined', customer)
      } else if (operator !== undefined && !customer.operators.includes(who)) {
        this.state.updateCustomer(customer, c => { c.operators.push(who) })
        this.emit('operatorJoined', customer, operator)
      }
    })
    bot.on('message:text', ctx => {
      const customer = this.state.customerOfChat(ctx.chat.id)
      if (customer !== undefined && ctx.from?.id === customer.userId) this.emit('customerMessage', { customer, text: ctx.message.text, messageId: ctx.message.message_id })
    })
    bot.catch(err => { this.log('error', 'update handler failed', { update_id: err.ctx.update.update_id, error: String(err.error) }) })
  }

  private customerOf (ctx: Context): Customer | undefined {
    const chatId = ctx.callbackQuery?.message?.chat.id
    return chatId === undefined ? undefined : this.state.customerOfChat(chatId)
  }

  private async welcomeCustomer (ctx: Context & { from: { id: number } }): Promise<void> {
    const name = [ctx.from.first_name, ctx.from.last_name].filter(Boolean).join(' ') || `customer ${ctx.from.id}`
    let customer: Customer
    try {
      customer = await this.groupOf(ctx.from.id, name)
    } catch (e) {
      this.log('error', 'no group for a customer', { user_id: ctx.from.id, error: String(e) })
      await ctx.reply(e instanceof PaymentsError && e.code === 'CAPACITY' ? TEXTS.capacity : TEXTS.failed)
      return
    }
    // A link for one person, so a forwarded link lets nobody else in.
    const link = await ctx.api.createChatInviteLink(customer.chatId, { name: 'customer', member_limit: 1 })
    await ctx.reply(TEXTS.privateWelcome(name), { reply_markup: new InlineKeyboard().url(TEXTS.joinButton, link.invite_link) })
  }

  /** The customer's group, made by the account the first time. */
  private async groupOf (userId: number, name: string): Promise<Customer> {
    const known = this.state.customer(userId)
    if (known !== undefined) return known
    const inFlight = this.making.get(userId)
    if (inFlight !== undefined) return await inFlight
    const made = (async () => {
      const me = this.bot.botInfo
      const chatId = await this.account.createGroup(this.config.groupTitle.replaceAll('{customer}', name), { id: me.id, username: me.username })
      const customer: Customer = { userId, name, chatId, joined: false, operators: [] }
      this.state.addCustomer(customer)
      this.log('info', 'group created', { user_id: userId, chat_id: chatId })
      this.emit('groupCreated', customer)
      for (const operator of this.config.operators) await this.inviteOperator(customer, operator)
      return customer
    })()
    this.making.set(userId, made)
    try { return await made } finally { this.making.delete(userId) }
  }

  private async inviteOperator (customer: Customer, operator: Operator): Promise<void> {
    try {
      const link = await this.bot.api.createChatInviteLink(customer.chatId, { name: `operator ${operator.userId}`.slice(0, 32), member_limit: 1 })
      await this.bot.api.sendMessage(operator.userId, TEXTS.operatorInvite(customer.name), { reply_markup: new InlineKeyboard().url(TEXTS.operatorJoinButton, link.invite_link) })
    } catch (e) {
      // Telegram lets a bot write only to users who wrote to it first: the operator gets the link at /start.
      this.log('warn', 'operator not invited yet', { operator: operator.name, chat_id: customer.chatId, error: String(e) })
    }
  }

  private async welcomeOperator (ctx: Context, operator: Operator): Promise<void> {
    await ctx.reply(TEXTS.operatorWelcome(operator.name))
    for (const customer of this.state.allCustomers()) {
      if (!customer.operators.includes(operator.userId)) await this.inviteOperator(customer, operator)
    }
  }

  private async approve (id: number, operator: Operator, asTyped: string): Promise<string> {
    const payment = this.state.payment(id)
    if (payment === undefined) return TEXTS.noSuchPayment(asTyped)
    if (payment.status === 'approved') return TEXTS.alreadyApproved(id)
    this.state.approve(payment, operator.userId, Date.now())
    this.log('info', 'payment approved', { payment: id, operator: operator.name })
    await this.bot.api.sendMessage(payment.chatId, TEXTS.paymentApproved(id))
    this.emit('paymentApproved', payment, operator)
    return TEXTS.approved(id)
  }

  private async toOperators (text: string, keyboard: InlineKeyboard): Promise<void> {
    for (const operator of this.config.operators) {
      await this.bot.api.sendMessage(operator.userId, text, { reply_markup: keyboard }).catch((e: unknown) => {
        this.log('warn', 'operator not told', { operator: operator.name, error: String(e) })
      })
    }
  }
}

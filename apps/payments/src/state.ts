/**
 * The app's records: each customer's group and the payments. One JSON file,
 * replaced atomically (written beside, then renamed) after every change, so
 * a crash leaves the old file or the new one, never half of one. Small by
 * design (max_customers, max_payments); a larger desk would use a database.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { PaymentsError } from './errors.js'

export interface Customer {
  userId: number
  name: string
  /** The customer's private group (a supergroup made by the account). */
  chatId: number
  /** Set once the customer joined the group. */
  joined: boolean
  /** Operators (user ids) who joined the group. */
  operators: number[]
}

export interface Payment {
  id: number
  customerId: number
  chatId: number
  status: 'pending' | 'approved'
  createdAt: number
  approvedBy?: number
  approvedAt?: number
}

interface Data { version: 1, nextPayment: number, customers: Customer[], payments: Payment[] }

export class State {
  private readonly customers = new Map<number, Customer>()
  private readonly byChat = new Map<number, Customer>()
  private readonly payments = new Map<number, Payment>()
  private nextPayment = 1

  constructor (readonly file: string, private readonly limits: { maxCustomers: number, maxPayments: number }) {
    if (!existsSync(file)) return
    let data: Data
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as Data
      if (data.version !== 1 || !Array.isArray(data.customers) || !Array.isArray(data.payments) || !Number.isInteger(data.nextPayment)) throw new Error('not a version 1 state')
    } catch (e) {
      throw new PaymentsError('STATE_INVALID', `${file}: ${(e as Error).message}`)
    }
    for (const c of data.customers) { this.customers.set(c.userId, c); this.byChat.set(c.chatId, c) }
    for (const p of data.payments) this.payments.set(p.id, p)
    this.nextPayment = data.nextPayment
  }

  customer (userId: number): Customer | undefined { return this.customers.get(userId) }
  customerOfChat (chatId: number): Customer | undefined { return this.byChat.get(chatId) }
  allCustomers (): Customer[] { return [...this.customers.values()] }
  payment (id: number): Payment | undefined { return this.payments.get(id) }
  pendingPaymentOf (chatId: number): Payment | undefined {
    for (const p of this.payments.values()) if (p.chatId === chatId && p.status === 'pending') return p
    return undefined
  }

  addCustomer (c: Customer): void {
    if (this.customers.size >= this.limits.maxCustomers) throw new PaymentsError('CAPACITY', `max_customers (${this.limits.maxCustomers}) reached`)
    this.customers.set(c.userId, c)
    this.byChat.set(c.chatId, c)
    this.save()
  }

  /** Changes a customer record in place and saves. */
  updateCustomer (c: Customer, change: (c: Customer) => void): void {
    change(c)
    this.save()
  }

  openPayment (customer: Customer, now: number): Payment {
    if (this.payments.size >= this.limits.maxPayments) throw new PaymentsError('CAPACITY', `max_payments (${this.limits.maxPayments}) reached`)
    const p: Payment = { id: this.nextPayment++, customerId: customer.userId, chatId: customer.chatId, status: 'pending', createdAt: now }
    this.payments.set(p.id, p)
    this.save()
    return p
  }

  approve (p: Payment, operatorId: number, now: number): void {
    p.status = 'approved'
    p.approvedBy = operatorId
    p.approvedAt = now
    this.save()
  }

  private save (): void {
    const data: Data = { version: 1, nextPayment: this.nextPayment, customers: [...this.customers.values()], payments: [...this.payments.values()] }
    const temp = `${this.file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(data))
    renameSync(temp, this.file)
  }
}

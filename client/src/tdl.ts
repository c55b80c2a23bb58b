// Kept in the emitted .d.ts, so a project that installs the client finds TDLib's types (tdlib-types) unconfigured.
/// <reference types="@prebuilt-tdlib/types" preserve="true" />
/**
 * A tdl-shaped face over one broker session: the methods and events of tdl's
 * Client (`invoke`, `on('update' | 'error' | 'close')`, `iterUpdates`,
 * `login`, `close`) with objects written tdl's way (`_` for `@type`), so code
 * written for tdl runs against a broker by changing how the client is made:
 *
 *   const client = await createClient({ url: 'tcp://localhost:23456' })  // instead of tdl.createClient(...)
 */
import type * as Td from 'tdlib-types'
import { createInterface } from 'node:readline'
import { BrokerClient, type ClientOptions } from './client.js'
import { Emitter } from './emitter.js'
import { login, type LoginDetails } from './login.js'
import type { WireObject } from './protocol.js'
import type { BrokerSession } from './session.js'
import { NODE_PLATFORM } from './transport-node.js'

export interface TdlClientOptions extends ClientOptions {
  /** The broker session to use; without it a new one is created. */
  session?: string
}

/** tdl's LoginDetails: each answer from a callback; one not given is asked on the terminal, with tdl's own prompts. */
export interface TdlLoginDetails {
  type?: 'user' | 'bot'
  getPhoneNumber?: (retry?: boolean) => Promise<string> | string
  getAuthCode?: (retry?: boolean) => Promise<string> | string
  getPassword?: (passwordHint: string, retry?: boolean) => Promise<string> | string
  getName?: () => Promise<{ firstName: string, lastName?: string }> | { firstName: string, lastName?: string }
  getEmailAddress?: () => Promise<string> | string
  getEmailCode?: () => Promise<string> | string
  getToken?: (retry?: boolean) => Promise<string> | string
}

/** Renames a key at every depth (objects and arrays), as tdl does between `_` and `@type`. */
export function renameDeep (value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map(v => renameDeep(v, from, to))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k === from ? to : k] = renameDeep(v, from, to)
  return out
}

const fromWire = (o: unknown): unknown => {
  const renamed = renameDeep(o, '@type', '_') as Record<string, unknown>
  delete renamed['@session']
  delete renamed['@seq']
  delete renamed['@extra']
  return renamed
}

export interface TdlClientEvents {
  update: [Td.Update]
  error: [unknown]
  close: []
}

export class TdlClient extends Emitter<TdlClientEvents> {
  private closed = false

  constructor (readonly broker: BrokerClient, readonly session: BrokerSession) {
    super()
    session.on('update', u => { this.emit('update', fromWire(u) as Td.Update) })
    broker.on('error', e => { if (this.listenerCount('error') > 0) this.emit('error', e) })
    broker.on('close', () => { if (!this.closed) { this.closed = true; this.emit('close') } })
  }

  /** tdl's invoke: `{ _: 'getMe' }` in, TDLib's answer with `_` out; an error answer rejects. */
  invoke: Td.Invoke = (async (query: { _: string }) => {
    const answer = await this.session.invoke(renameDeep(query, '_', '@type') as never)
    return fromWire(answer as unknown as WireObject)
  }) as unknown as Td.Invoke

  /** tdl's iterUpdates: every update from now on, as an async iterator. */
  async * iterUpdates (): AsyncIterableIterator<Td.Update> {
    for await (const update of this.session.updates()) yield fromWire(update) as Td.Update
  }

  /** tdl's login: the answers from callbacks, and what none gives asked on the terminal as tdl asks it. */
  async login (arg: TdlLoginDetails | (() => TdlLoginDetails) = {}): Promise<void> {
    const d = typeof arg === 'function' ? arg() : arg
    const details: LoginDetails = d.type === 'bot'
      ? { type: 'bot', getToken: d.getToken ?? (async () => await prompt('Please enter the bot token: ')) }
      : {
          getPhoneNumber: d.getPhoneNumber ?? (async retry => await prompt(retry ? 'Invalid phone number, please re-enter: ' : 'Please enter your phone number: ')),
          getAuthCode: d.getAuthCode ?? (async retry => await prompt(retry ? 'Wrong auth code, please re-enter: ' : 'Please enter the auth code you received: ')),
          getPassword: d.getPassword ?? (async (hint, retry) => {
            const h = hint !== '' ? ` (hint: "${hint}")` : ''
            return await prompt(retry ? `Wrong password, please re-enter${h}: ` : `Please enter your 2FA password${h}: `)
          }),
          getName: d.getName ?? (async () => ({
            firstName: await prompt('Please enter your first name: '),
            lastName: (await prompt('Please enter your last name (optional): ')) || undefined
          })),
          getEmailAddress: d.getEmailAddress ?? (async () => await prompt('Please enter your email address: ')),
          getEmailCode: d.getEmailCode ?? (async () => await prompt('Please enter the email auth code you received: '))
        }
    await login(this.session, details)
  }

  /** tdl's loginAsBot. */
  async loginAsBot (token: string | (() => string | Promise<string>)): Promise<void> {
    await login(this.session, { type: 'bot', getToken: typeof token === 'string' ? () => token : token })
  }

  get isClosed (): boolean { return this.closed }

  /** Closes the connection to the broker; the session itself keeps running on the broker (tdl's close would end it). */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.broker.close()
    this.emit('close')
  }
}

/** Asks one question on the terminal (stdin/stdout), as tdl's default login does. */
async function prompt (query: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.on('SIGINT', () => { reject(new Error('Cancelled')) })
      rl.on('close', () => { reject(new Error(`no answer to "${query.trim()}": the terminal closed`)) })
      rl.question(query, answer => { resolve(answer.replace(/[\r\n]*$/, '')) })
    })
  } finally {
    rl.close()
  }
}

/** Connects to a broker and returns a tdl-shaped client for one session (created when none is named). */
export async function createClient (options: TdlClientOptions): Promise<TdlClient> {
  const broker = await BrokerClient.connect({ platform: NODE_PLATFORM, ...options })
  try {
    const session = options.session === undefined ? await broker.createSession() : await broker.attach(options.session)
    return new TdlClient(broker, session)
  } catch (e) {
    broker.close()
    throw e
  }
}

/**
 * Puts the desk together on a broker: the bot's session and its toolkit,
 * the staff accounts' sessions, the store, the desk and its bridges, and the
 * bot's typing updates. `stop()` is safe to call twice.
 */
import { connect, login, type BrokerClient, type BrokerSession, type Update } from '@tdbroker/client'
import { Toolkit } from '@tdbroker/toolkit'
import { deskBot } from './bot.js'
import type { Bridge } from './bridge.js'
import type { DeskConfig } from './config.js'
import { Desk, type DeskLog } from './desk.js'
import { attachPuppets, openChatsWithBot, type Puppet } from './puppets.js'
import { DeskStore } from './store.js'
import { TelegramStaffBridge } from './telegram-staff.js'

export interface RunningDesk {
  desk: Desk
  bot: Toolkit
  staffBridge: TelegramStaffBridge
  puppets: Puppet[]
  botUser: { id: number, username: string }
  state: 'running' | 'stopped'
  stop (): Promise<void>
}

export interface StartOptions {
  /** More bridges (a Matrix one); the Telegram staff bridge always comes first. */
  bridges?: Bridge[]
  log?: DeskLog
  /** An existing connection to use instead of connecting to config.broker. */
  client?: BrokerClient
}

const consoleLog: DeskLog = { info: m => { console.log(m) }, error: (m, e) => { console.error(m, e) } }

export async function startDesk (config: Readonly<DeskConfig>, options: StartOptions = {}): Promise<RunningDesk> {
  const log = options.log ?? consoleLog
  const ownClient = options.client === undefined
  const client = options.client ?? await connect({ url: config.broker.url, ...(config.broker.auth === undefined ? {} : { auth: config.broker.auth }) })
  try {
    const session = await botSession(client, config)
    const me = await session.invoke({ '@type': 'getMe' }, { timeoutMs: config.requestTimeoutMs })
    const botUser = { id: me.id, username: me.usernames?.active_usernames[0] ?? '' }
    const store = new DeskStore(config.database)
    const names = new Map<number, string>()
    const nameOf = (id: number): string => names.get(id) ?? `staff ${id}`
    // The toolkit and the bridge need each other only through the desk; build the desk's parts first, then wire.
    let desk: Desk | undefined
    let staffBridge: TelegramStaffBridge | undefined
    const parts = deskBot({
      get desk () { return desk as Desk },
      get staff () { return staffBridge as TelegramStaffBridge },
      customerName: async id => {
        const u = await session.invoke({ '@type': 'getUser', user_id: id }, { timeoutMs: config.requestTimeoutMs })
        return [u.first_name, u.last_name].filter(x => x !== '').join(' ') + (u.usernames?.active_usernames[0] === undefined ? '' : ` (@${u.usernames.active_usernames[0]})`)
      }
    })
    const bot = new Toolkit(session, {
      database: config.database, states: parts.states, commands: parts.commands, requestTimeoutMs: config.requestTimeoutMs,
      onError: (e, where) => { log.error(`${where.event} in chat ${where.chatId ?? '-'} failed`, e) }
    })
    staffBridge = new TelegramStaffBridge(bot, store, nameOf)
    const bridges = [staffBridge, ...(options.bridges ?? [])]
    desk = new Desk(store, bot, bridges, log)
    const puppets = await attachPuppets(client, config.staff, config.requestTimeoutMs)
    for (const p of puppets) names.set(p.userId, p.name)
    desk.setStaff(puppets.map(({ userId, name, department }) => ({ userId, name, department })))
    for (const b of bridges) await b.start(desk)
    await bot.start()
    await openChatsWithBot(puppets, botUser, config.requestTimeoutMs)
    const typing = onTyping(desk, staffBridge, log)
    session.on('update', typing)
    await desk.assignWaiting()
    log.info(`support desk running as @${botUser.username} with ${puppets.length} staff member(s)`)
    let state: RunningDesk['state'] = 'running'
    const running: RunningDesk = {
      desk, bot, staffBridge, puppets, botUser,
      get state () { return state },
      async stop () {
        if (state === 'stopped') return
        state = 'stopped'
        session.off('update', typing)
        await bot.stop()
        for (const b of bridges) await b.stop()
        store.closeDb()
        if (ownClient) client.close()
      }
    }
    return running
  } catch (e) {
    if (ownClient) client.close()
    throw e
  }
}

async function botSession (client: BrokerClient, config: Readonly<DeskConfig>): Promise<BrokerSession> {
  if (config.bot.session !== undefined) return await client.attach(config.bot.session)
  const session = await client.createSession()
  const token = config.bot.token ?? ''
  await login(session, { type: 'bot', getToken: () => token })
  return session
}

/** The bot sees typing in its private chats (updateChatAction): a customer's goes to their staff member, a staff member's to their current customer. */
function onTyping (desk: Desk, staff: TelegramStaffBridge, log: DeskLog): (u: Update) => void {
  return u => {
    if (u['@type'] !== 'updateChatAction' || u.action['@type'] !== 'chatActionTyping' || u.sender_id['@type'] !== 'messageSenderUser') return
    const userId = u.sender_id.user_id
    if (u.chat_id !== userId) return // private chats only
    const relay = desk.staff(userId) !== undefined ? staff.staffTyping(userId) : desk.customerTyping(userId)
    relay.catch(e => { log.error(`typing of ${userId} not relayed`, e) })
  }
}

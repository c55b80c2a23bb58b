/**
 * The staff members' own Telegram accounts, held by the broker as user
 * sessions (the seed's puppeting). The desk attaches each one, learns who it
 * is (getMe), and opens the account's private chat with the bot from the
 * account itself (a bot may write to a user only after the user wrote to it),
 * so that the staff member receives conversations without doing anything.
 */
import type { BrokerClient, BrokerSession } from '@tdbroker/client'
import type { DepartmentId } from './departments.js'
import { DeskError } from './errors.js'
import type { StaffMember } from './desk.js'

export interface Puppet extends StaffMember { session: BrokerSession }

/** Attaches each staff member's session and reads who it is; fails when one is missing or not logged in. */
export async function attachPuppets (client: BrokerClient, staff: ReadonlyArray<{ session: string, department: DepartmentId, name?: string }>, timeoutMs: number): Promise<Puppet[]> {
  const puppets: Puppet[] = []
  for (const s of staff) {
    let session: BrokerSession
    try {
      session = await client.attach(s.session)
    } catch (e) {
      throw new DeskError('STAFF_SESSION', `staff session ${s.session}: cannot attach it (${e instanceof Error ? e.message : String(e)})`)
    }
    const state = await session.invoke({ '@type': 'getAuthorizationState' }, { timeoutMs })
    if (state['@type'] !== 'authorizationStateReady') throw new DeskError('STAFF_SESSION', `staff session ${s.session} is not logged in (${state['@type']}): log it in with "support-desk login"`)
    const me = await session.invoke({ '@type': 'getMe' }, { timeoutMs })
    if (me.type['@type'] === 'userTypeBot') throw new DeskError('STAFF_SESSION', `staff session ${s.session} is a bot, not a staff member's account`)
    puppets.push({ session, userId: me.id, department: s.department, name: s.name ?? [me.first_name, me.last_name].filter(x => x !== '').join(' ') })
  }
  return puppets
}

/** Opens the chat with the bot from each account that never wrote to it: once the bot runs, so that it answers. */
export async function openChatsWithBot (puppets: Puppet[], bot: { id: number, username: string }, timeoutMs: number): Promise<void> {
  for (const p of puppets) await openChatWithBot(p.session, bot, timeoutMs)
}

async function openChatWithBot (session: BrokerSession, bot: { id: number, username: string }, timeoutMs: number): Promise<void> {
  await session.invoke({ '@type': 'searchPublicChat', username: bot.username }, { timeoutMs })
  const history = await session.invoke({ '@type': 'getChatHistory', chat_id: bot.id, from_message_id: 0, offset: 0, limit: 1, only_local: false }, { timeoutMs })
  if (history.total_count > 0) return
  await session.invoke({
    '@type': 'sendMessage', chat_id: bot.id,
    input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: '/start', entities: [] } }
  }, { timeoutMs })
}

/**
 * The user account the broker holds: the only side that can make groups
 * (the Bot API cannot). Used through @tdbroker/client as a TDLib session:
 * it creates one private supergroup per customer, adds the messenger bot and
 * makes it an administrator, so that the bot sees every message (privacy
 * mode does not apply to administrators) and can make invite links.
 */
import { connect, type BrokerClient, type BrokerSession } from '@tdbroker/client'
import { PaymentsError } from './errors.js'

export class Account {
  private botKnown = false

  private constructor (readonly client: BrokerClient, readonly session: BrokerSession) {}

  /** Connects to the broker with the app's client key and attaches the account's (logged in) session. */
  static async open (options: { url: string, client: string, key: string, session: string }): Promise<Account> {
    const client = await connect({ url: options.url, auth: { name: options.client, key: options.key } })
    try {
      const session = await client.attach(options.session)
      const state = await session.invoke({ '@type': 'getAuthorizationState' })
      if (state['@type'] !== 'authorizationStateReady') throw new PaymentsError('ACCOUNT_NOT_READY', `session ${options.session} is ${state['@type']}`)
      return new Account(client, session)
    } catch (e) {
      client.close()
      throw e
    }
  }

  /**
   * Creates a customer's group with the bot in it as an administrator; resolves
   * with the group's chat id (the Bot API's id for it too).
   */
  async createGroup (title: string, bot: { id: number, username: string }): Promise<number> {
    // A user account must have seen a user before it can add it; the bot is public.
    if (!this.botKnown) {
      await this.session.invoke({ '@type': 'searchPublicChat', username: bot.username })
      this.botKnown = true
    }
    const chat = await this.session.invoke({
      '@type': 'createNewSupergroupChat', title, is_channel: false, is_forum: false,
      description: 'A private group for your payments: only you, the payments bot and our operators are in it.'
    })
    await this.session.invoke({ '@type': 'addChatMember', chat_id: chat.id, user_id: bot.id, forward_limit: 0 })
    await this.session.invoke({
      '@type': 'setChatMemberStatus', chat_id: chat.id,
      member_id: { '@type': 'messageSenderUser', user_id: bot.id },
      status: {
        '@type': 'chatMemberStatusAdministrator', can_be_edited: true,
        rights: { '@type': 'chatAdministratorRights', can_manage_chat: true, can_invite_users: true, can_delete_messages: true, can_restrict_members: true, can_pin_messages: true }
      }
    })
    return chat.id
  }

  close (): void { this.client.close() }
}

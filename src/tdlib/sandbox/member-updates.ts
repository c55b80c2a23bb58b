/**
 * updateChatMember, which TDLib sends to bots only: to a bot about its own
 * membership (the Bot API's my_chat_member), and to the bots administering
 * a group about everyone else's (chat_member).
 */
import type { Td, Tl } from './td.js'
import type { Group } from './model.js'
import { chatMemberObject } from './objects.js'
import type { World } from './world.js'

/** The member as it was, to pass to announceMemberChange after the change. */
export function memberBefore (g: Group, userId: number): Td<Tl.chatMember> {
  return chatMemberObject(g, userId)
}

/** Tells the bots concerned that `userId`'s membership of `g` changed from `before`, by `actorId`. */
export function announceMemberChange (world: World, g: Group, userId: number, actorId: number, before: Td<Tl.chatMember>): void {
  const after = chatMemberObject(g, userId)
  const botIds = new Set<number>()
  if (world.accounts.get(userId)?.isBot === true) botIds.add(userId)
  for (const m of g.members.values()) {
    if ((m.status === 'creator' || m.status === 'administrator') && world.accounts.get(m.userId)?.isBot === true) botIds.add(m.userId)
  }
  for (const botId of botIds) {
    for (const device of world.accounts.get(botId)?.devices ?? []) {
      device.ensureChat(world, g.chatId)
      device.ensureUser(world, userId)
      device.ensureUser(world, actorId)
      device.emit({
        '@type': 'updateChatMember',
        chat_id: g.chatId,
        actor_user_id: actorId,
        date: world.now(),
        via_join_request: false,
        via_chat_folder_invite_link: false,
        old_chat_member: before,
        new_chat_member: after,
      })
    }
  }
}

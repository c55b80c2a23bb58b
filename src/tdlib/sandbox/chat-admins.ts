/**
 * getChatAdministrators: the creator and administrators of a group or
 * channel (a channel's only to its administrators), creator first.
 */
import { fail, int } from './td.js'
import type { ReadyHandlers } from './dispatch.js'
import { knownChat } from './lookups.js'
import { isAdmin } from './groups.js'

/** The creator and administrators of a group or channel (a channel's only to its administrators). */
export const chatAdminHandlers: ReadyHandlers = {
  getChatAdministrators: (ctx, req) => {
    const g = knownChat(ctx, int(req.chat_id)).group
    if (g === undefined) return fail(400, 'Chat must be a basic group or a supergroup')
    const mine = g.members.get(ctx.me.id)?.status
    if (mine === undefined) return fail(400, 'CHANNEL_PRIVATE')
    if (g.isChannel && mine === 'member') return fail(400, 'CHAT_ADMIN_REQUIRED')
    const admins = [...g.members.values()].filter(m => isAdmin(g, m.userId)).sort((a, b) => Number(b.status === 'creator') - Number(a.status === 'creator'))
    for (const m of admins) if (!ctx.device.knownUsers.has(m.userId)) ctx.device.ensureUser(ctx.world, m.userId)
    return {
      '@type': 'chatAdministrators',
      administrators: admins.map(m => ({
        '@type': 'chatAdministrator' as const, user_id: m.userId, custom_title: '', is_owner: m.status === 'creator',
        can_be_edited: (mine === 'creator' && m.status !== 'creator') || m.promotedBy === ctx.me.id
      }))
    }
  },
}

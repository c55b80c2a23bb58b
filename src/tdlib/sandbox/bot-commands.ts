/**
 * Bots' command menus (setCommands, getCommands, deleteCommands, with
 * Telegram's checks on names and descriptions) and getChatAdministrators.
 * A menu is kept per bot, scope and language in the world's memory.
 */
import { fail, given, int, ok, str, type Req, type Td, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import type { World } from './world.js'
import { knownChat } from './lookups.js'

type Menu = Array<Td<Tl.botCommand>>
const menus = new WeakMap<World, Map<string, Menu>>()
const MAX_COMMANDS = 100

function onlyBots (ctx: ReadyCtx): void {
  if (!ctx.me.isBot) fail(400, 'The method is available only to bots')
}

/** The key of a menu: bot, scope (with its chat or user) and language. */
function menuKey (ctx: ReadyCtx, req: Omit<Req<'getCommands'>, '@type'>): string {
  const scope = given(req.scope)
  const language = str(req.language_code)
  if (language !== '' && !/^[a-z]{2}$/.test(language)) fail(400, 'Invalid language code specified')
  let where: string
  switch (scope?.['@type']) {
    case undefined: case 'botCommandScopeDefault': where = 'default'; break
    case 'botCommandScopeAllPrivateChats': case 'botCommandScopeAllGroupChats': case 'botCommandScopeAllChatAdministrators': where = scope['@type']; break
    case 'botCommandScopeChat': case 'botCommandScopeChatAdministrators': where = `${scope['@type']}:${int(scope.chat_id)}`; break
    case 'botCommandScopeChatMember': where = `${scope['@type']}:${int(scope.chat_id)}:${int(scope.user_id)}`; break
    default: return fail(400, 'Unsupported bot command scope')
  }
  return `${ctx.me.id}|${where}|${language}`
}

function worldMenus (world: World): Map<string, Menu> {
  let m = menus.get(world)
  if (m === undefined) { m = new Map(); menus.set(world, m) }
  return m
}

export const botCommandHandlers: ReadyHandlers = {
  setCommands: (ctx, req) => {
    onlyBots(ctx)
    const key = menuKey(ctx, req)
    const commands = (req.commands ?? []).map(c => {
      const command = str(c.command).replace(/^\//, '').toLowerCase()
      const description = str(c.description).trim()
      if (!/^[a-z0-9_]{1,32}$/.test(command)) fail(400, 'BOT_COMMAND_INVALID')
      if (description.length < 1 || description.length > 256) fail(400, 'BOT_COMMAND_DESCRIPTION_INVALID')
      return { '@type': 'botCommand' as const, command, description }
    })
    if (commands.length > MAX_COMMANDS) fail(400, 'BOTS_TOO_MUCH')
    if (commands.length === 0) worldMenus(ctx.world).delete(key)
    else worldMenus(ctx.world).set(key, commands)
    return ok()
  },

  getCommands: (ctx, req) => {
    onlyBots(ctx)
    const commands = worldMenus(ctx.world).get(menuKey(ctx, req)) ?? []
    return { '@type': 'botCommands', bot_user_id: ctx.me.id, commands: commands.map(c => ({ ...c })) }
  },

  deleteCommands: (ctx, req) => {
    onlyBots(ctx)
    worldMenus(ctx.world).delete(menuKey(ctx, req))
    return ok()
  },
}

/** The creator and administrators of a group or channel (a channel's only to its administrators). */
export const chatAdminHandlers: ReadyHandlers = {
  getChatAdministrators: (ctx, req) => {
    const g = knownChat(ctx, int(req.chat_id)).group
    if (g === undefined) return fail(400, 'Chat must be a basic group or a supergroup')
    const mine = g.members.get(ctx.me.id)?.status
    if (mine === undefined) return fail(400, 'CHANNEL_PRIVATE')
    if (g.isChannel && mine === 'member') return fail(400, 'CHAT_ADMIN_REQUIRED')
    const admins = [...g.members.values()].filter(m => m.status !== 'member').sort((a, b) => Number(b.status === 'creator') - Number(a.status === 'creator'))
    for (const m of admins) if (!ctx.device.knownUsers.has(m.userId)) ctx.device.ensureUser(ctx.world, m.userId)
    return {
      '@type': 'chatAdministrators',
      administrators: admins.map(m => ({
        '@type': 'chatAdministrator' as const, user_id: m.userId, custom_title: '', is_owner: m.status === 'creator',
        can_be_edited: mine === 'creator' && m.status !== 'creator'
      }))
    }
  },
}
